/** The `RequestInfo` a converter receives; headers are turned into a record only when read. */
import type { RequestInfo } from '@restgate/converters'
import type { H3Event } from 'h3'
import type { IncomingData } from './_endpoint-route.ts'

export class IncomingRequest implements RequestInfo {
  readonly method: string
  readonly path: string
  readonly query: Record<string, string>
  readonly params: Record<string, string>
  readonly body: Uint8Array
  readonly contentType: string | undefined
  readonly receivedAt: number
  readonly #source: Headers
  #headers: Record<string, string> | undefined

  constructor(event: H3Event, incoming: IncomingData) {
    this.method = event.req.method
    this.path = event.url.pathname
    this.query = incoming.query
    this.params = incoming.params
    this.body = incoming.bytes
    this.contentType = incoming.contentTypeHeader ?? undefined
    this.receivedAt = incoming.receivedAt
    this.#source = event.req.headers
  }

  /** Request headers, names lower-cased. `Authorization` is left out: the gateway already checked it. */
  get headers(): Record<string, string> {
    if (!this.#headers) {
      const out: Record<string, string> = {}
      for (const [name, value] of this.#source) if (name !== 'authorization') out[name] = value
      this.#headers = out
    }
    return this.#headers
  }
}
