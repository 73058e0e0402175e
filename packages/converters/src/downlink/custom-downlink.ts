/** Custom downlink converters: the contract, the typed helper, and validation of their output. */
import type { HttpMethod, OutboundRequestConfig } from '@restgate/config'
import { DownlinkBuildError } from './downlink-error.ts'
import { assertAbsoluteHttpUrl, assertHeaderSafe } from './_request-template.ts'
import type { DownlinkConverter, DownlinkConverterContext, DownlinkConverterFactory, DownlinkConverterOutput, OutboundRequest } from './types.ts'

const BRAND: unique symbol = Symbol.for('restgate.downlinkConverter')
const CLASS_SOURCE = /^class\b/
const HTTP_METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])

/**
 * Typed identity helper for a custom downlink converter module:
 * `export default defineDownlinkConverter((rule, ctx) => ({ convert(event, rule) { return { url, body } } }))`
 * (or `export const downlink = ...` when the module's default export is an uplink converter).
 */
export function defineDownlinkConverter<F extends DownlinkConverterFactory>(factory: F): F {
  Object.defineProperty(factory, BRAND, { value: true })
  return factory
}

/** True for a factory made with {@link defineDownlinkConverter}. */
export function isDownlinkConverterFactory(value: unknown): value is DownlinkConverterFactory {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[BRAND] === true
}

function isConverter(value: unknown): value is DownlinkConverter {
  return typeof value === 'object' && value !== null && typeof (value as { convert?: unknown }).convert === 'function'
}

/** What a module export is, for error messages. */
export function describeExport(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'function') return `a function${value.name === '' ? '' : ` "${value.name}"`}`
  if (typeof value === 'object') return `an object with keys [${Object.keys(value).slice(0, 8).join(', ')}]`
  return typeof value
}

function asFactory(value: unknown): DownlinkConverterFactory | undefined {
  if (isConverter(value)) return () => value
  if (typeof value !== 'function') return undefined
  if (CLASS_SOURCE.test(Function.prototype.toString.call(value))) {
    const Ctor = value as new (rule: OutboundRequestConfig, ctx: DownlinkConverterContext) => DownlinkConverter
    return (rule, ctx) => new Ctor(rule, ctx)
  }
  return value as DownlinkConverterFactory
}

/**
 * Picks the downlink converter of a loaded module, as a factory: the `downlink` export, then a
 * `defineDownlinkConverter` factory as default / bare-name / `converter` export, then a plain
 * factory function, a class (constructed with `(rule, ctx)`) or an object with `convert` as
 * default / bare-name / `converter` export. Returns undefined when none fits.
 */
export function pickDownlinkExport(mod: Record<string, unknown>, bareName?: string): DownlinkConverterFactory | undefined {
  const candidates = [mod.default, bareName === undefined ? undefined : mod[bareName], mod.converter]
  if (mod.downlink !== undefined) return asFactory(mod.downlink)
  for (const c of candidates) if (isDownlinkConverterFactory(c)) return c
  for (const c of candidates) {
    const factory = asFactory(c)
    if (factory !== undefined) return factory
  }
  return undefined
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array
}

/**
 * Validates a custom converter's `{ url, method?, headers?, body? }` and normalises it to an
 * OutboundRequest: headers merged over the rule's (names lower-cased), method upper-cased, a
 * non-string/non-bytes body JSON-encoded (with `content-type: application/json` unless one is set).
 *
 * @throws {DownlinkBuildError} reason `DOWNLINK_OUTPUT` (what was wrong), `URL_RELATIVE` / `URL_INVALID`.
 */
export function toOutboundRequest(output: unknown, rule: OutboundRequestConfig): OutboundRequest {
  const path = `${rule.path}.extension`
  const bad = (why: string): never => {
    throw new DownlinkBuildError('DOWNLINK_OUTPUT', `${path}: the custom downlink converter returned ${why}; expected { url, method?, headers?, body? }`, {
      path,
    })
  }
  if (typeof output !== 'object' || output === null || Array.isArray(output))
    return bad(Array.isArray(output) ? 'an array' : String(output === null ? 'null' : typeof output))
  const out = output as DownlinkConverterOutput
  if (typeof out.url !== 'string' || out.url.trim() === '') return bad(`url ${JSON.stringify(out.url) ?? 'undefined'} (must be a non-empty string)`)
  const url = out.url.trim()
  assertAbsoluteHttpUrl(url, url, rule.path)
  let method: HttpMethod = rule.httpMethod
  if (out.method !== undefined) {
    if (typeof out.method !== 'string' || !HTTP_METHODS.has(out.method.toUpperCase()))
      return bad(`method ${JSON.stringify(out.method)} (must be one of ${[...HTTP_METHODS].join(', ')})`)
    method = out.method.toUpperCase() as HttpMethod
  }
  const headers: Record<string, string> = { ...rule.httpHeaders }
  if (out.headers !== undefined) {
    if (typeof out.headers !== 'object' || out.headers === null || Array.isArray(out.headers)) return bad('headers that are not an object')
    for (const [name, value] of Object.entries(out.headers)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return bad(`header "${name}" of type ${typeof value}`)
      headers[name.toLowerCase()] = String(value)
    }
  }
  for (const name in headers) assertHeaderSafe(name, headers[name] as string, path)
  const request: OutboundRequest = { url, method, headers }
  const body = out.body
  if (body === undefined || body === null) return request
  if (typeof body === 'string' || isBytes(body)) request.body = body
  else if (body instanceof ArrayBuffer) request.body = new Uint8Array(body)
  else if (typeof body === 'function' || typeof body === 'symbol' || typeof body === 'bigint') return bad(`a body of type ${typeof body}`)
  else {
    let json: string
    try {
      json = JSON.stringify(body)
    } catch (e) {
      return bad(`a body that cannot be JSON-encoded (${e instanceof Error ? e.message : String(e)})`)
    }
    request.body = json
    if (headers['content-type'] === undefined) headers['content-type'] = 'application/json'
  }
  return request
}
