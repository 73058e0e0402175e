/** The reserved `get` / `set` RPC methods: a one-off HTTP request described by the RPC params. */
import type { HttpMethod, OutboundRequestConfig } from '@restgate/config'
import { DownlinkBuildError } from './downlink-error.ts'

export type ReservedRpcMethod = 'get' | 'set'

/** Settings of a reserved RPC request that its params do not give. */
export interface ReservedRpcDefaults {
  /** Seconds per try. @default 0.5 */
  timeout: number
  /** Total attempts. @default 3 */
  tries: number
  /** Most attempts params may ask for. @default 10 */
  maxTries: number
  /** @default true */
  allowRedirects: boolean
  /** @default false */
  sslVerify: boolean
}

export const reservedRpcDefaults: Readonly<ReservedRpcDefaults> = Object.freeze({
  timeout: 0.5,
  tries: 3,
  maxTries: 10,
  allowRedirects: true,
  sslVerify: false,
})

const HTTP_METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])

type Field = 'requestUrlExpression' | 'valueExpression' | 'httpMethod' | 'httpHeaders' | 'timeout' | 'tries'

/** Accepted spellings (lower-cased) → field. */
const KEYS: ReadonlyMap<string, Field> = new Map<string, Field>([
  ['requesturlexpression', 'requestUrlExpression'],
  ['value', 'valueExpression'],
  ['valueexpression', 'valueExpression'],
  ['httpmethod', 'httpMethod'],
  ['httpmethods', 'httpMethod'],
  ['httpheaders', 'httpHeaders'],
  ['timeout', 'timeout'],
  ['tries', 'tries'],
])
const KNOWN = 'requestUrlExpression, value (valueExpression), HTTPMethod (httpMethod), httpHeaders, timeout, tries'

/** `;` that starts a new pair: only before a known key and `=`, so values may hold `;` and `=`. */
const PAIR_SEPARATOR = /;(?=\s*(?:requestUrlExpression|valueExpression|value|HTTPMethods?|httpHeaders|timeout|tries)\s*=)/i
const ABSOLUTE_URL = /^\s*[a-z][a-z\d+.-]*:\/\//i

/** True for the reserved RPC method names `get` and `set`. */
export function isReservedRpcMethod(method: unknown): method is ReservedRpcMethod {
  return method === 'get' || method === 'set'
}

/**
 * The reserved method an RPC method name stands for: `get`/`set`, or the connector-level
 * `rest_get`/`rest_set` of the original (sent to the gateway device). Undefined for others.
 */
export function reservedRpcMethodOf(method: unknown): ReservedRpcMethod | undefined {
  if (method === 'get' || method === 'rest_get') return 'get'
  if (method === 'set' || method === 'rest_set') return 'set'
  return undefined
}

function fail(method: ReservedRpcMethod, why: string): never {
  const path = `rpc "${method}" params`
  throw new DownlinkBuildError('RESERVED_RPC_PARAMS', `${path}: ${why}`, { path })
}

function fieldOf(method: ReservedRpcMethod, key: string): Field {
  const field = KEYS.get(key.trim().toLowerCase())
  if (field === undefined) fail(method, `unknown key "${key.trim().slice(0, 60)}" (known: ${KNOWN})`)
  return field
}

/** Splits `k=v;k=v;` into raw pairs: on `;` only before a known key, each pair on its first `=`. */
function pairsOfString(method: ReservedRpcMethod, params: string): Map<Field, unknown> {
  const text = params.endsWith(';') ? params.slice(0, -1) : params
  const out = new Map<Field, unknown>()
  if (text.trim() === '') return out
  for (const pair of text.split(PAIR_SEPARATOR)) {
    const eq = pair.indexOf('=')
    if (eq === -1) fail(method, `expected "key=value;key=value;", found "${pair.slice(0, 60)}" without "="`)
    out.set(fieldOf(method, pair.slice(0, eq)), pair.slice(eq + 1))
  }
  return out
}

function pairsOfObject(method: ReservedRpcMethod, params: Record<string, unknown>): Map<Field, unknown> {
  const out = new Map<Field, unknown>()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) out.set(fieldOf(method, key), value)
  }
  return out
}

function textField(method: ReservedRpcMethod, field: Field, value: unknown): string {
  if (typeof value === 'string') return field === 'valueExpression' ? value : value.trim()
  if (field === 'valueExpression' && value !== null && typeof value !== 'function' && typeof value !== 'symbol') {
    return JSON.stringify(value)
  }
  return fail(method, `${field} must be a string, got ${value === null ? 'null' : typeof value}`)
}

function positiveNumber(method: ReservedRpcMethod, field: Field, value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) fail(method, `${field} must be a positive number, got ${JSON.stringify(value)}`)
  return n
}

function headersOf(method: ReservedRpcMethod, value: unknown): Record<string, string> {
  let raw = value
  if (typeof value === 'string') {
    try {
      raw = JSON.parse(value)
    } catch {
      fail(method, `httpHeaders must be a JSON object, got ${JSON.stringify(value.slice(0, 60))}`)
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(method, 'httpHeaders must be an object of header names to values')
  const headers: Record<string, string> = {}
  for (const [name, v] of Object.entries(raw)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') fail(method, `httpHeaders "${name}" must be a string`)
    headers[name.toLowerCase()] = String(v)
  }
  return headers
}

/**
 * Turns the params of a reserved `get` / `set` RPC into a request config for the RPC builder.
 * `params` is a string `k=v;k=v;` (split on `;` only before a known key, each pair on its FIRST
 * `=`, so URLs with queries work) or an object with the same keys: `requestUrlExpression`
 * (required), `value`/`valueExpression` (a template over the RPC variables, `${params}` included;
 * non-string object values are JSON-encoded), `HTTPMethod`/`httpMethod` (`get` → GET, `set` → POST
 * by default), `httpHeaders` (object or JSON text), `timeout` (seconds per try), `tries`.
 *
 * @throws {DownlinkBuildError} reason `RESERVED_RPC_PARAMS` saying what is wrong.
 */
export function toReservedRpcRequestConfig(method: ReservedRpcMethod, params: unknown): OutboundRequestConfig {
  let pairs: Map<Field, unknown>
  if (typeof params === 'string') pairs = pairsOfString(method, params)
  else if (typeof params === 'object' && params !== null && !Array.isArray(params)) pairs = pairsOfObject(method, params as Record<string, unknown>)
  else
    fail(
      method,
      `expected "requestUrlExpression=...;value=...;" or an object, got ${params === null ? 'null' : Array.isArray(params) ? 'an array' : typeof params}`,
    )

  const url = pairs.get('requestUrlExpression')
  if (url === undefined || (typeof url === 'string' && url.trim() === '')) fail(method, 'requestUrlExpression is missing')
  const requestUrlExpression = textField(method, 'requestUrlExpression', url)
  const value = pairs.get('valueExpression')
  const rawMethod = pairs.get('httpMethod')
  const httpMethod = rawMethod === undefined ? (method === 'get' ? 'GET' : 'POST') : textField(method, 'httpMethod', rawMethod).toUpperCase()
  if (!HTTP_METHODS.has(httpMethod)) fail(method, `HTTPMethod must be one of ${[...HTTP_METHODS].join(', ')}, got "${httpMethod.slice(0, 20)}"`)
  const tries = pairs.has('tries') ? positiveNumber(method, 'tries', pairs.get('tries')) : reservedRpcDefaults.tries
  if (!Number.isInteger(tries) || tries > reservedRpcDefaults.maxTries)
    fail(method, `tries must be an integer from 1 to ${reservedRpcDefaults.maxTries}, got ${tries}`)

  return {
    httpMethod: httpMethod as HttpMethod,
    requestUrlExpression,
    valueExpression: value === undefined ? '' : textField(method, 'valueExpression', value),
    httpHeaders: pairs.has('httpHeaders') ? headersOf(method, pairs.get('httpHeaders')) : {},
    security: { type: 'anonymous' },
    timeout: pairs.has('timeout') ? positiveNumber(method, 'timeout', pairs.get('timeout')) : reservedRpcDefaults.timeout,
    tries,
    allowRedirects: reservedRpcDefaults.allowRedirects,
    sslVerify: reservedRpcDefaults.sslVerify,
    extensionConfig: {},
    urlIsRelative: !requestUrlExpression.startsWith('${') && !ABSOLUTE_URL.test(requestUrlExpression),
    path: `rpc "${method}" params`,
  }
}
