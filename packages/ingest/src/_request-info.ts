/** The `RequestInfo` a converter receives; headers are turned into a record only when read. */
import type { RequestInfo } from '@restgate/converters'
import type { IncomingData } from './_endpoint-route.ts'
import type { RequestView } from './_request-view.ts'

export class IncomingRequest implements RequestInfo {
  readonly method: string
  readonly path: string
  readonly query: Record<string, string>
  readonly params: Record<string, string>
  readonly body: Uint8Array
  readonly contentType: string | undefined
  readonly receivedAt: number
  readonly #source: RequestView
  #headers: Record<string, string> | undefined

  constructor(req: RequestView, incoming: IncomingData) {
    this.method = req.method
    this.path = req.pathname
    this.query = incoming.query
    this.params = incoming.params
    this.body = incoming.bytes
    this.contentType = incoming.contentTypeHeader ?? undefined
    this.receivedAt = incoming.receivedAt
    this.#source = req
  }

  /** Request headers, names lower-cased. `Authorization` is left out: the gateway already checked it. */
  get headers(): Record<string, string> {
    if (!this.#headers) {
      const out: Record<string, string> = {}
      for (const [name, value] of this.#source.headerEntries()) if (name !== 'authorization') out[name] = value
      this.#headers = out
    }
    return this.#headers
  }
}
