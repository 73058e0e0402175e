/** Turns responses and errors into outcomes: what succeeded, what failed and why, what to retry. */
import { STATUS_CODES } from 'node:http'
import { isJsonContentType } from '@restgate/converters'
import type { RequestFailure } from './types.ts'

/** One try's outcome. `done: false` means the failure may be retried. */
export interface Attempt {
  done: boolean
  status?: number
  result?: unknown
  failure?: RequestFailure
  retryAfterMs?: number
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
const lenientUtf8 = new TextDecoder('utf-8')
const WHITESPACE = /\s+/g
const EXCERPT_CHARS = 200

/** Non-2xx statuses worth another try. */
function isRetriableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

function excerpt(body: Uint8Array): string {
  if (body.byteLength === 0) return ''
  const text = lenientUtf8
    .decode(body.subarray(0, EXCERPT_CHARS * 4))
    .replace(WHITESPACE, ' ')
    .trim()
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text
}

/**
 * The response body as an RPC result: JSON when the content type says JSON (or none is given and
 * the body parses), else text; a body that is not UTF-8 becomes `{ base64 }`.
 */
export function parseResult(body: Uint8Array, contentType: string | null): unknown {
  if (body.byteLength === 0) return ''
  let text: string
  try {
    text = strictUtf8.decode(body)
  } catch {
    return { base64: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64') }
  }
  if (contentType === null || contentType.trim() === '' || isJsonContentType(contentType)) {
    try {
      return JSON.parse(text) as unknown
    } catch {
      return text
    }
  }
  return text
}

function statusText(response: Response): string {
  return response.statusText !== '' ? response.statusText : (STATUS_CODES[response.status] ?? `HTTP ${response.status}`)
}

export function classifyResponse(response: Response, body: Uint8Array, allowRedirects: boolean): Attempt {
  const status = response.status
  if (status >= 200 && status < 300) return { done: true, status, result: parseResult(body, response.headers.get('content-type')) }
  const text = statusText(response)
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location')
    const message = allowRedirects
      ? `${status} ${text}${location === null ? ' without a Location header' : ''}`
      : `${status} ${text}: redirect${location === null ? '' : ` to ${location.slice(0, 200)}`} not followed (allowRedirects is false)`
    return { done: true, status, failure: { kind: allowRedirects ? 'http' : 'redirect', message, code: status } }
  }
  const detail = excerpt(body)
  return {
    done: !isRetriableStatus(status),
    status,
    failure: { kind: 'http', message: detail === '' ? text : `${text}: ${detail}`, code: status },
  }
}

const TLS_CERT_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
])

/** The innermost error with a string `code` (fetch wraps the socket error in `cause`s). */
function rootCause(e: unknown): { code: string | undefined; message: string } {
  let current: unknown = e
  let code: string | undefined
  let message = e instanceof Error ? e.message : String(e)
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const c = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown }
    if (typeof c.code === 'string') code = c.code
    if (typeof c.message === 'string' && c.message !== '') message = c.message
    current = c.cause ?? (Array.isArray(c.errors) ? c.errors[0] : undefined)
  }
  return { code, message }
}

function fail(kind: 'network' | 'tls', message: string, done: boolean): Attempt {
  return { done, failure: { kind, message, code: 502 } }
}

/** Network/TLS failures: 502 replies; TLS certificate and protocol errors are not retried. */
export function classifyNetworkError(e: unknown, hostPort: string): Attempt {
  const { code, message } = rootCause(e)
  switch (code) {
    case 'ECONNREFUSED':
      return fail('network', `connection refused to ${hostPort}`, false)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail('network', `host not found: ${hostPort}`, false)
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return fail('network', `connection to ${hostPort} closed unexpectedly`, false)
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return fail('network', `connect timeout to ${hostPort}`, false)
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail('network', `${hostPort} is unreachable`, false)
    default:
      break
  }
  if (code !== undefined && TLS_CERT_CODES.has(code)) {
    return fail('tls', `TLS certificate of ${hostPort} rejected (${code}); trust it with security.ca or set SSLVerify false`, true)
  }
  if (code !== undefined && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO')) {
    return fail('tls', `TLS handshake with ${hostPort} failed (${code})`, true)
  }
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_ARG_TYPE') {
    return fail('network', `request to ${hostPort} could not be sent: ${message.slice(0, 200)}`, true)
  }
  return fail('network', `request to ${hostPort} failed: ${message.slice(0, 200)}${code === undefined ? '' : ` (${code})`}`, false)
}
