/**
 * Response builders. Every answer is honest JSON unless the mapping configures its own body
 * (`successResponse` / `unsuccessfulResponse`), which is prepared once at start. Routes build a
 * `Reply`; it becomes an h3 `HTTPResponse` on the h3 path, or is written straight to Node's
 * response (one write, Content-Length set) on the Node fast path.
 */
import { type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES } from 'node:http'
import { HTTPResponse } from 'h3'

export const JSON_TYPE = 'application/json; charset=utf-8'
const TEXT_TYPE = 'text/plain; charset=utf-8'

/** A configured body, serialised once: strings are sent as text, anything else as JSON. */
export interface PreparedBody {
  body: string
  contentType: string
}

export function prepareBody(value: unknown): PreparedBody | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') return { body: value, contentType: TEXT_TYPE }
  return { body: JSON.stringify(value), contentType: JSON_TYPE }
}

/** An answer: status, body text, its content type, and extra headers (lower-case names). */
export class Reply {
  readonly status: number
  readonly body: string
  readonly contentType: string
  headers: Record<string, string> | undefined
  // For the log line of a refused or partly dropped request: the error code, the device, what was
  // dropped. Declared only (no field initialisers): the usual 200 reply stays as small as before.
  declare code?: string
  declare device?: string
  declare dropped?: ReadonlyArray<{ key?: string; reason: string }>

  constructor(status: number, body: string, contentType: string, headers?: Record<string, string>) {
    this.status = status
    this.body = body
    this.contentType = contentType
    this.headers = headers
  }
}

export function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error'
}

/** A JSON answer from an already serialised body. */
export function jsonResponse(status: number, body: string, headers?: Record<string, string>): Reply {
  return new Reply(status, body, JSON_TYPE, headers)
}

export function preparedResponse(status: number, prepared: PreparedBody, headers?: Record<string, string>): Reply {
  return new Reply(status, prepared.body, prepared.contentType, headers)
}

/**
 * `{"error":"<Reason Phrase>","code":"<CODE>","message":"..."}`, or the configured
 * `unsuccessfulResponse` body with the same status and headers.
 */
export function errorResponse(status: number, code: string, message: string, headers?: Record<string, string>, custom?: PreparedBody): Reply {
  const reply = custom ? preparedResponse(status, custom, headers) : jsonResponse(status, JSON.stringify({ error: reason(status), code, message }), headers)
  reply.code = code
  return reply
}

/** The h3 form of a reply. */
export function toHttpResponse(reply: Reply): HTTPResponse {
  const headers = reply.headers ? { 'content-type': reply.contentType, ...reply.headers } : { 'content-type': reply.contentType }
  return new HTTPResponse(reply.body, { status: reply.status, headers })
}

/** Writes a reply to Node's response: headers and body in one write, with Content-Length. */
export function writeReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return
  const headers: OutgoingHttpHeaders = { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) }
  if (reply.headers !== undefined) for (const name in reply.headers) headers[name] = reply.headers[name]
  res.writeHead(reply.status, headers)
  res.end(reply.body)
}
