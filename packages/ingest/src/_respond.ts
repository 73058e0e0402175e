/**
 * Response builders. Every answer is honest JSON unless the mapping configures its own body
 * (`successResponse` / `unsuccessfulResponse`), which is prepared once at start.
 */
import { STATUS_CODES } from 'node:http'
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

export function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error'
}

/** A JSON answer from an already serialised body. */
export function jsonResponse(status: number, body: string, headers?: Record<string, string>): HTTPResponse {
  return new HTTPResponse(body, { status, headers: headers ? { 'content-type': JSON_TYPE, ...headers } : { 'content-type': JSON_TYPE } })
}

export function preparedResponse(status: number, prepared: PreparedBody, headers?: Record<string, string>): HTTPResponse {
  return new HTTPResponse(prepared.body, {
    status,
    headers: headers ? { 'content-type': prepared.contentType, ...headers } : { 'content-type': prepared.contentType },
  })
}

/**
 * `{"error":"<Reason Phrase>","code":"<CODE>","message":"..."}`, or the configured
 * `unsuccessfulResponse` body with the same status and headers.
 */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
  custom?: PreparedBody,
): HTTPResponse {
  if (custom) return preparedResponse(status, custom, headers)
  return jsonResponse(status, JSON.stringify({ error: reason(status), code, message }), headers)
}
