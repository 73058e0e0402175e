/**
 * What a route reads of a request, the same whether it came through h3 (`H3View`: tests with
 * `app.request()`, and everything the Node fast path leaves to h3) or straight from Node's server
 * (`NodeView`, see `_node-listener.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { H3Event } from 'h3'
import { checkLength, EMPTY_BODY, readNodeBody, readWebBody, type ReadResult } from './_read-body.ts'

/** `raw` equals the lower-case `lower`, ignoring ASCII case (no lower-cased copy). */
function sameName(raw: string, lower: string): boolean {
  if (raw.length !== lower.length) return false
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false
  }
  return true
}

export interface RequestView {
  readonly method: string
  /** Path without the query string, as routed. */
  readonly pathname: string
  /** `?...` or '' */
  readonly search: string
  /** Router parameters, not yet percent-decoded. */
  readonly params: Readonly<Record<string, string>> | undefined
  /** A request header (lower-case name); repeated headers joined with ", " (as web `Headers`). */
  header(name: string): string | null
  /** Every header, names lower-cased and sorted (as web `Headers` iterate). */
  headerEntries(): Iterable<[string, string]>
  /** The body up to `limit` bytes (a Content-Length over it is refused without reading). */
  readBody(limit: number, contentLength: number | undefined): Promise<ReadResult> | ReadResult
  /** Aborts when the client goes away before the answer. */
  readonly signal: AbortSignal
  /** The client's address (for log lines), when known. */
  readonly remoteAddress: string | undefined
}

export class H3View implements RequestView {
  readonly #event: H3Event

  constructor(event: H3Event) {
    this.#event = event
  }

  get method(): string {
    return this.#event.req.method
  }

  get pathname(): string {
    return this.#event.url.pathname
  }

  get search(): string {
    return this.#event.url.search
  }

  get params(): Readonly<Record<string, string>> | undefined {
    return this.#event.context.params
  }

  get signal(): AbortSignal {
    return this.#event.req.signal
  }

  get remoteAddress(): string | undefined {
    return (this.#event.runtime?.node?.req as IncomingMessage | undefined)?.socket?.remoteAddress
  }

  header(name: string): string | null {
    return this.#event.req.headers.get(name)
  }

  headerEntries(): Iterable<[string, string]> {
    return this.#event.req.headers
  }

  readBody(limit: number, contentLength: number | undefined): Promise<ReadResult> | ReadResult {
    const known = checkLength(limit, contentLength)
    if (known !== undefined) return known
    const node = this.#event.runtime?.node?.req as IncomingMessage | undefined
    if (node) return readNodeBody(node, limit)
    const stream = this.#event.req.body
    return stream ? readWebBody(stream, limit) : EMPTY_BODY
  }
}

export class NodeView implements RequestView {
  readonly method: string
  readonly pathname: string
  readonly search: string
  readonly params: Readonly<Record<string, string>> | undefined
  readonly #req: IncomingMessage
  readonly #res: ServerResponse
  #signal: AbortSignal | undefined

  constructor(req: IncomingMessage, res: ServerResponse, pathname: string, search: string, params: Readonly<Record<string, string>> | undefined) {
    this.method = req.method as string
    this.pathname = pathname
    this.search = search
    this.params = params
    this.#req = req
    this.#res = res
  }

  /** Scans the raw header list (no header object is built for the few names a route reads). */
  header(name: string): string | null {
    const raw = this.#req.rawHeaders
    let found: string | null = null
    for (let i = 0; i < raw.length; i += 2) {
      if (sameName(raw[i] as string, name)) found = found === null ? (raw[i + 1] as string) : `${found}, ${raw[i + 1] as string}`
    }
    return found
  }

  headerEntries(): Iterable<[string, string]> {
    const distinct = this.#req.headersDistinct
    return Object.keys(distinct)
      .toSorted()
      .map((name): [string, string] => [name, (distinct[name] as string[]).join(', ')])
  }

  readBody(limit: number, contentLength: number | undefined): Promise<ReadResult> | ReadResult {
    return checkLength(limit, contentLength) ?? readNodeBody(this.#req, limit)
  }

  get remoteAddress(): string | undefined {
    return this.#req.socket?.remoteAddress
  }

  /** Created on first use (only long waits need it): aborts when the connection closes unanswered. */
  get signal(): AbortSignal {
    if (this.#signal === undefined) {
      const controller = new AbortController()
      const res = this.#res
      if (res.destroyed && !res.writableFinished) controller.abort()
      else {
        res.once('close', () => {
          if (!res.writableFinished) controller.abort()
        })
      }
      this.#signal = controller.signal
    }
    return this.#signal
  }
}
