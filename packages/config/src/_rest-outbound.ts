/** Normalises `attributeUpdates[]` and `serverSideRpc[]` rules (ThingsBoard → HTTP). */
import { outboundDefaults } from './defaults.ts'
import { pickSpelling, section, type NormaliseContext } from './_context.ts'
import { describeValue, joinPath } from './_describe.ts'
import { readMethod } from './_rest-endpoint.ts'
import { resolveConfigPath } from './_paths.ts'
import { boolOf, isObject, numberOf, stringOf, type RawObject } from './_raw.ts'
import { compileFilter } from './_regex.ts'
import { checkTemplate } from './_templates.ts'
import type { AttributeUpdateRule, HttpMethod, OutboundRequestConfig, OutboundSecurity, RpcRule } from './model.ts'
import type { KeySpec } from './_keys.ts'
import { restKeys } from './schema/rest-schema.ts'

function readHeaders(ctx: NormaliseContext, value: unknown, path: string): Record<string, string> {
  if (value === undefined) return { ...outboundDefaults.httpHeaders }
  let object: unknown = value
  if (typeof value === 'string') {
    try {
      object = JSON.parse(value)
    } catch {
      object = undefined
    }
    if (!isObject(object)) {
      ctx.collector.expected(path, 'an object of header names to values (or that object as a JSON string)', value)
      return {}
    }
  }
  if (!isObject(object)) return {}
  const out: Record<string, string> = {}
  for (const [name, headerValue] of Object.entries(object)) {
    const lower = name.toLowerCase()
    if (lower in out) ctx.collector.warn(joinPath(path, name), `header given twice (names are case-insensitive); using "${name}"`)
    if (typeof headerValue === 'string' || typeof headerValue === 'number' || typeof headerValue === 'boolean') out[lower] = String(headerValue)
  }
  return out
}

function readOutboundSecurity(ctx: NormaliseContext, value: unknown, path: string): OutboundSecurity {
  const raw = section(ctx, value, path, restKeys.outboundSecurity)
  if (raw === undefined) return { type: 'anonymous' }
  const inferred = raw.username !== undefined || raw.password !== undefined ? 'basic' : raw.cert !== undefined ? 'cert' : 'anonymous'
  const type = stringOf(raw.type)?.toLowerCase() ?? inferred
  if (type === 'basic') {
    if (raw.username === undefined) ctx.collector.expected(joinPath(path, 'username'), 'a non-empty username (type is basic)', undefined)
    if (raw.password === undefined) ctx.collector.expected(joinPath(path, 'password'), 'a password string (type is basic)', undefined)
    return { type: 'basic', username: stringOf(raw.username) ?? '', password: stringOf(raw.password) ?? '' }
  }
  if (type === 'cert') {
    if (raw.cert === undefined) ctx.collector.expected(joinPath(path, 'cert'), 'a certificate file path (type is cert)', undefined)
    const file = (v: unknown): string | undefined => {
      const text = stringOf(v)
      return text === undefined || text === '' ? undefined : resolveConfigPath(ctx.configDir, text)
    }
    const key = file(raw.key)
    const ca = pickSpelling(ctx, raw, path, ['ca', 'caCert'])
    const caFile = file(ca?.value)
    return { type: 'cert', cert: file(raw.cert) ?? '', ...(key === undefined ? {} : { key }), ...(caFile === undefined ? {} : { ca: caFile }) }
  }
  return { type: 'anonymous' }
}

function readFilter(ctx: NormaliseContext, raw: RawObject, path: string, key: string): RegExp {
  const source = stringOf(raw[key]) ?? outboundDefaults.filter
  const compiled = compileFilter(source)
  if (compiled.ok) return compiled.regex
  ctx.collector.expectedText(joinPath(path, key), 'a valid regular expression', `${describeValue(source)} (${compiled.reason})`)
  return /^(?!)$/
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//
const HOST_LIKE = /^(?:localhost|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*\.)+[A-Za-z0-9-]+|[A-Za-z0-9-]+(?=:\d))(?::\d+)?(?:[/?#]|$)/

/** The URL template, prefixed with `http://` when it starts with a host, and whether it is relative (no scheme, no host). */
function readUrl(ctx: NormaliseContext, raw: RawObject, path: string): { url: string; relative: boolean } {
  const url = stringOf(raw.requestUrlExpression)
  if (url === undefined || url === '') return { url: '', relative: false }
  const at = joinPath(path, 'requestUrlExpression')
  checkTemplate(ctx.collector, at, url)
  if (SCHEME.test(url) || url.startsWith('${')) return { url, relative: false }
  if (HOST_LIKE.test(url)) {
    ctx.collector.warn(at, `no scheme; using "http://${url}"`)
    return { url: `http://${url}`, relative: false }
  }
  ctx.collector.warn(at, 'no scheme and host (a relative URL): requests to it fail until a full URL like "http://host:port/..." is given')
  return { url, relative: true }
}

function readOutbound(ctx: NormaliseContext, raw: RawObject, path: string, method: HttpMethod, valueDefault: string | undefined): OutboundRequestConfig {
  const { url, relative } = readUrl(ctx, raw, path)
  const valueExpression = stringOf(raw.valueExpression) ?? valueDefault ?? ''
  if (raw.valueExpression !== undefined || valueDefault !== undefined) checkTemplate(ctx.collector, joinPath(path, 'valueExpression'), valueExpression)
  const options = pickSpelling(ctx, raw, path, ['extensionConfig', 'extension-config'])
  const extension = stringOf(raw.extension)
  return {
    httpMethod: readMethod(ctx, raw, path, method),
    requestUrlExpression: url,
    valueExpression,
    httpHeaders: readHeaders(ctx, raw.httpHeaders, joinPath(path, 'httpHeaders')),
    security: readOutboundSecurity(ctx, raw.security, joinPath(path, 'security')),
    timeout: numberOf(raw.timeout) ?? outboundDefaults.timeout,
    tries: numberOf(raw.tries) ?? outboundDefaults.tries,
    allowRedirects: boolOf(raw.allowRedirects) ?? outboundDefaults.allowRedirects,
    sslVerify: boolOf(raw.SSLVerify) ?? outboundDefaults.sslVerify,
    ...(extension === undefined ? {} : { extension }),
    extensionConfig: isObject(options?.value) ? options.value : {},
    urlIsRelative: relative,
    path,
  }
}

function rawRule(ctx: NormaliseContext, value: unknown, path: string, spec: KeySpec): RawObject | undefined {
  return section(ctx, value, path, spec)
}

/** One `attributeUpdates[i]`. */
export function readAttributeUpdate(ctx: NormaliseContext, value: unknown, path: string): AttributeUpdateRule | undefined {
  const raw = rawRule(ctx, value, path, restKeys.attributeUpdate)
  if (raw === undefined) return undefined
  return {
    ...readOutbound(ctx, raw, path, outboundDefaults.attributeUpdateMethod, undefined),
    deviceNameFilter: readFilter(ctx, raw, path, 'deviceNameFilter'),
    attributeFilter: readFilter(ctx, raw, path, 'attributeFilter'),
  }
}

/** One `serverSideRpc[i]`. */
export function readRpc(ctx: NormaliseContext, value: unknown, path: string): RpcRule | undefined {
  const raw = rawRule(ctx, value, path, restKeys.rpc)
  if (raw === undefined) return undefined
  const responseTimeout = numberOf(raw.responseTimeout)
  return {
    ...readOutbound(ctx, raw, path, outboundDefaults.rpcMethod, outboundDefaults.rpcValueExpression),
    deviceNameFilter: readFilter(ctx, raw, path, 'deviceNameFilter'),
    methodFilter: readFilter(ctx, raw, path, 'methodFilter'),
    ...(responseTimeout === undefined ? {} : { responseTimeout }),
  }
}
