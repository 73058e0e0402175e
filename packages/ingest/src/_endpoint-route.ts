/**
 * What every endpoint does before its own work: authenticate (before touching the body), check the
 * content type, read the body within the limit, and build the converter data (path params, body,
 * query; query wins). Each route compiles this once; a request only runs it. A route serves h3
 * events (`handle`) and Node requests routed by the fast path (`handleNode`) with the same code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EndpointConfig } from '@restgate/config'
import type { H3Event, HTTPResponse } from 'h3'
import { type Authenticator, compileAuth, describeAuthFailure } from './_auth.ts'
import { type ContentType, parseContentType } from './_content-type.ts'
import { codingOf, inflateBody } from './_inflate.ts'
import { type JsonObject, mergeData, parseBody } from './_parse.ts'
import { H3View, NodeView, type RequestView } from './_request-view.ts'
import { errorResponse, type PreparedBody, type Reply, toHttpResponse, writeReply } from './_respond.ts'
import type { IngestRuntime } from './_runtime.ts'

/** A request that passed the common checks. */
export interface IncomingData {
  data: JsonObject | unknown[]
  bytes: Uint8Array
  type: ContentType
  contentTypeHeader: string | null
  params: Record<string, string>
  query: Record<string, string>
  /** When the request arrived (epoch ms): the timestamp of data that carries none. */
  receivedAt: number
}

/** A Node request routed by the fast path: the path split from its query, and the router params. */
export type NodeRouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  search: string,
  params: Readonly<Record<string, string>> | undefined,
) => void

const NO_BYTES = new Uint8Array(0)
const CLOSE = { connection: 'close' } as const

function hasKeys(o: object): boolean {
  for (const _ in o) return true
  return false
}

/** Path parameters, percent-decoded (a malformed escape is kept as sent). */
function paramsOf(raw: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (!raw) return {}
  const out: Record<string, string> = {}
  for (const name in raw) {
    const value = raw[name] as string
    try {
      out[name] = value.includes('%') ? decodeURIComponent(value) : value
    } catch {
      out[name] = value
    }
  }
  return out
}

/** Query parameters as strings; a repeated name keeps its last value. */
function queryOf(search: string): Record<string, string> {
  return search.length > 1 ? Object.fromEntries(new URLSearchParams(search)) : {}
}

/** `Connection: close` when the client sent a body we did not read (it is not worth draining). */
function closeIfBodyPending(req: RequestView): Record<string, string> | undefined {
  const length = req.header('content-length')
  return (length !== null && length !== '0') || req.header('transfer-encoding') !== null ? CLOSE : undefined
}

export abstract class EndpointRoute {
  /** The h3 handler of this route (bound once). */
  readonly handle: (event: H3Event) => Promise<HTTPResponse>
  /** The Node fast-path handler of this route (bound once). */
  readonly handleNode: NodeRouteHandler
  protected readonly rt: IngestRuntime
  protected readonly endpoint: EndpointConfig
  protected readonly auth: Authenticator | undefined
  protected readonly bodyLimit: number
  /** JSON-converter rules: unsupported content, bad encoding and bad JSON are 4xx. */
  protected readonly strict: boolean
  /** The configured `unsuccessfulResponse`, if any. */
  protected readonly failureBody: PreparedBody | undefined

  constructor(rt: IngestRuntime, endpoint: EndpointConfig, bodyLimit: number, strict: boolean, failureBody: PreparedBody | undefined) {
    this.rt = rt
    this.endpoint = endpoint
    this.auth = compileAuth(endpoint.security)
    this.bodyLimit = bodyLimit
    this.strict = strict
    this.failureBody = failureBody
    this.handle = (event) => this.#run(new H3View(event)).then(toHttpResponse)
    this.handleNode = (req, res, pathname, search, params) => {
      this.#run(new NodeView(req, res, pathname, search, params)).then(
        (reply) => writeReply(res, reply),
        (error: unknown) => {
          // #run answers every failure itself; this is a failure to write the answer
          rt.logger.error({ endpoint: endpoint.endpoint, error: String(error) }, 'writing the answer failed')
          res.destroy()
        },
      )
    }
  }

  protected abstract process(req: RequestView): Promise<Reply>

  async #run(req: RequestView): Promise<Reply> {
    const rt = this.rt
    rt.requests++
    rt.inFlight++
    try {
      const reply = await this.process(req)
      if (reply.status >= 400 || reply.dropped !== undefined) this.#logOutcome(reply)
      return rt.finish(reply, this.endpoint.endpoint)
    } catch (error) {
      rt.logger.error({ endpoint: this.endpoint.endpoint, path: this.endpoint.path, error: String(error) }, 'request failed unexpectedly')
      return rt.finish(this.fail(500, 'INTERNAL_ERROR', 'the request could not be handled; the gateway log has the details'), this.endpoint.endpoint)
    } finally {
      rt.inFlight--
    }
  }

  /**
   * One line per refused (status >= 400, but 401: see `receive`) or partly dropped request,
   * rate-limited per endpoint, status and code. Values go to the logger as data fields.
   */
  #logOutcome(reply: Reply): void {
    const status = reply.status
    if (status === 401) return
    const endpoint = this.endpoint.endpoint
    const code = reply.code ?? (status < 400 ? 'DROPPED' : 'ERROR')
    const data: Record<string, unknown> = { endpoint, status, code }
    if (reply.device !== undefined) data.device = reply.device
    if (reply.dropped !== undefined) {
      data.droppedCount = reply.dropped.length
      data.dropped = reply.dropped.slice(0, 10).map((d) => (d.key === undefined ? d.reason : `${d.key}: ${d.reason}`))
    }
    const msg = status < 400 ? 'request partly dropped' : 'request refused'
    this.rt.requestLog.report('warn', `r\0${endpoint}\0${status}\0${code}`, msg, data, { endpoint, status, code })
  }

  /** An error answer: the configured `unsuccessfulResponse` when given, else the JSON error body. */
  protected fail(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
    return errorResponse(status, code, message, headers, this.failureBody)
  }

  /** Runs the common checks; a `Reply` means the request ends here. */
  protected async receive(req: RequestView): Promise<IncomingData | Reply> {
    const receivedAt = Date.now()
    if (this.auth) {
      const failure = this.auth.check(req.header('authorization'))
      if (failure) {
        const endpoint = this.endpoint.endpoint
        const source = req.remoteAddress ?? 'unknown'
        this.rt.requestLog.report(
          'warn',
          `a\0${endpoint}\0${source}`,
          'authentication failed',
          { endpoint, source, reason: failure, status: 401 },
          { endpoint, source },
        )
        const extra = closeIfBodyPending(req)
        const challenge = { 'www-authenticate': this.auth.challenge }
        return this.fail(401, 'UNAUTHORIZED', describeAuthFailure(failure, this.auth.challenge), extra ? { ...challenge, ...extra } : challenge)
      }
    }
    const contentTypeHeader = req.header('content-type')
    const type = parseContentType(contentTypeHeader)
    const method = req.method
    const bodiless = method === 'GET' || method === 'HEAD'
    let bytes: Uint8Array = NO_BYTES
    if (!bodiless) {
      const encodingHeader = req.header('content-encoding')
      const coding = encodingHeader === null ? 'identity' : codingOf(encodingHeader)
      if (coding === undefined) {
        return this.fail(
          415,
          'UNSUPPORTED_ENCODING',
          `content encoding "${encodingHeader}" is not supported; send the body uncompressed, gzip or deflate`,
          closeIfBodyPending(req),
        )
      }
      if (this.strict && type.kind === 'other') {
        return this.fail(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          `content type "${type.media}" is not supported here; send JSON, form fields, multipart, text or octet-stream`,
          closeIfBodyPending(req),
        )
      }
      const lengthHeader = req.header('content-length')
      const pending = req.readBody(this.bodyLimit, lengthHeader === null ? undefined : Number(lengthHeader))
      const read = pending instanceof Promise ? await pending : pending
      if (!read.ok) {
        if (read.reason === 'too-large') {
          return this.fail(413, 'BODY_TOO_LARGE', `the body is larger than the limit of ${this.bodyLimit} bytes`, CLOSE)
        }
        this.rt.logger.debug({ endpoint: this.endpoint.endpoint }, 'client went away while sending the body')
        return this.fail(400, 'REQUEST_ABORTED', 'the connection closed before the whole body arrived', CLOSE)
      }
      bytes = read.bytes
      if (coding !== 'identity' && bytes.byteLength > 0) {
        const inflated = await inflateBody(coding, bytes, this.bodyLimit)
        if (!inflated.ok) {
          return inflated.reason === 'too-large'
            ? this.fail(413, 'BODY_TOO_LARGE', `the ${coding} body inflates to more than the limit of ${this.bodyLimit} bytes`)
            : this.fail(400, 'INVALID_COMPRESSION', `the body is not valid ${coding} data: ${inflated.message}`)
        }
        bytes = inflated.bytes
      }
    }
    const params = paramsOf(req.params)
    const query = queryOf(req.search)
    // as the original: a GET without query (or path parameters) is refused; an empty POST, PUT, ...
    // runs the converter on no data (a device that only announces its constant attributes)
    if (bodiless && !hasKeys(params) && !hasKeys(query)) {
      return this.fail(415, 'NO_DATA', 'the request carries no data: no query string and no path parameters')
    }
    // a big body is parsed (and an array merged) in turns of the event loop: then these are promises
    const parsing = parseBody(bytes, type, this.strict, this.rt.limits)
    const parsed = parsing instanceof Promise ? await parsing : parsing
    if (!parsed.ok) return this.fail(parsed.status, parsed.code, parsed.message)
    const merging = mergeData(params, parsed.value, query, this.strict)
    const merged = merging instanceof Promise ? await merging : merging
    if (!merged.ok) return this.fail(merged.status, merged.code, merged.message)
    return { data: merged.data, bytes, type, contentTypeHeader, params, query, receivedAt }
  }
}
