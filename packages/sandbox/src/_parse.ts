import type { MessageKind } from './types.ts'

export type Values = Record<string, unknown>

/** A telemetry entry as sent; `ts` absent = "now" (filled when recorded). */
export interface SentEntry {
  ts: number | undefined
  values: Values
}

export type UplinkEvent =
  | { kind: 'connect'; device: string; type: string }
  | { kind: 'disconnect'; device: string }
  | { kind: 'attributes'; items: Array<{ device: string; values: Values }> }
  | { kind: 'telemetry'; items: Array<{ device: string; entries: SentEntry[] }> }
  | { kind: 'attributeRequest'; id: number | string; device: string; client: boolean; keys: string[] }
  | { kind: 'rpcReply'; device: string; id: number | string; data: unknown }
  | { kind: 'sessionLimitsRequest'; requestId: string }
  | { kind: 'deviceRpcRequest'; requestId: string; method: string }
  | { kind: 'gatewayRpcReply'; requestId: string; data: unknown }
  | { kind: 'deviceAttributeRequest'; requestId: string }
  | { kind: 'other' }

export interface ParsedUplink {
  kind: MessageKind
  raw: string
  payload: unknown
  malformed: boolean
  problem: string | undefined
  /** What to apply; `undefined` when nothing usable was found. */
  event: UplinkEvent | undefined
}

const RPC_REQUEST_PREFIX = 'v1/devices/me/rpc/request/'
const RPC_RESPONSE_PREFIX = 'v1/devices/me/rpc/response/'
const ATTR_REQUEST_PREFIX = 'v1/devices/me/attributes/request/'

const TOPIC_KINDS: ReadonlyMap<string, MessageKind> = new Map<string, MessageKind>([
  ['v1/gateway/connect', 'connect'],
  ['v1/gateway/disconnect', 'disconnect'],
  ['v1/gateway/attributes', 'attributes'],
  ['v1/gateway/telemetry', 'telemetry'],
  ['v1/gateway/attributes/request', 'attributeRequest'],
  ['v1/gateway/rpc', 'rpcReply'],
])

const decoder = new TextDecoder('utf-8')

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isId(v: unknown): v is number | string {
  return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length > 0)
}

function deviceOf(p: unknown): string | undefined {
  return isObject(p) && typeof p.device === 'string' && p.device.length > 0 ? p.device : undefined
}

type Shaped = { event?: UplinkEvent; problem?: string }

function parseTs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

/** One element of a device's telemetry: `{"ts":..,"values":{..}}` or a plain values object. */
function parseEntry(e: unknown): SentEntry | string {
  if (!isObject(e)) return 'entry is not an object'
  if (!('ts' in e)) return { ts: undefined, values: e }
  const ts = parseTs(e.ts)
  if (ts === undefined) return `ts ${JSON.stringify(e.ts)} is not a number`
  if (!isObject(e.values)) return 'entry has ts but no values object'
  return { ts, values: e.values }
}

function shapeTelemetry(p: unknown): Shaped {
  if (!isObject(p)) return { problem: 'expected {"<device>":[{"ts":..,"values":{..}}]}' }
  const items: Array<{ device: string; entries: SentEntry[] }> = []
  const problems: string[] = []
  for (const [device, list] of Object.entries(p)) {
    const raw = Array.isArray(list) ? list : [list]
    const entries: SentEntry[] = []
    raw.forEach((e, i) => {
      const r = parseEntry(e)
      if (typeof r === 'string') problems.push(`${device}[${i}]: ${r}`)
      else entries.push(r)
    })
    if (entries.length > 0) items.push({ device, entries })
  }
  return { event: items.length > 0 ? { kind: 'telemetry', items } : undefined, problem: problems.length ? problems.join('; ') : undefined }
}

function shapeAttributes(p: unknown): Shaped {
  if (!isObject(p)) return { problem: 'expected {"<device>":{"key":value}}' }
  const items: Array<{ device: string; values: Values }> = []
  const problems: string[] = []
  for (const [device, values] of Object.entries(p)) {
    if (isObject(values)) items.push({ device, values })
    else problems.push(`${device}: attributes are not an object`)
  }
  return { event: items.length > 0 ? { kind: 'attributes', items } : undefined, problem: problems.length ? problems.join('; ') : undefined }
}

function shapeAttributeRequest(p: unknown): Shaped {
  const device = deviceOf(p)
  if (!isObject(p) || device === undefined || !isId(p.id)) return { problem: 'expected {"id":..,"device":..,"client":..,"keys":[..]}' }
  const keys = Array.isArray(p.keys) ? p.keys : typeof p.key === 'string' ? [p.key] : undefined
  if (!keys || !keys.every((k): k is string => typeof k === 'string')) return { problem: 'attribute request without a "keys" list of strings' }
  return { event: { kind: 'attributeRequest', id: p.id, device, client: p.client === true, keys } }
}

function shapeRpcReply(p: unknown): Shaped {
  const device = deviceOf(p)
  if (!isObject(p) || device === undefined || !isId(p.id)) return { problem: 'expected {"device":..,"id":..,"data":..}' }
  return { event: { kind: 'rpcReply', device, id: p.id, data: p.data } }
}

function shapeGatewayTopic(kind: MessageKind, p: unknown): Shaped {
  switch (kind) {
    case 'connect': {
      const device = deviceOf(p)
      if (device === undefined) return { problem: 'expected {"device":"<name>","type":"<profile>"}' }
      const t = (p as Record<string, unknown>).type
      return { event: { kind: 'connect', device, type: typeof t === 'string' && t.length > 0 ? t : 'default' } }
    }
    case 'disconnect': {
      const device = deviceOf(p)
      return device === undefined ? { problem: 'expected {"device":"<name>"}' } : { event: { kind: 'disconnect', device } }
    }
    case 'attributes':
      return shapeAttributes(p)
    case 'telemetry':
      return shapeTelemetry(p)
    case 'attributeRequest':
      return shapeAttributeRequest(p)
    default:
      return shapeRpcReply(p)
  }
}

function kindOf(topic: string): MessageKind {
  const k = TOPIC_KINDS.get(topic)
  if (k) return k
  if (topic.startsWith(RPC_REQUEST_PREFIX)) return 'deviceRpcRequest'
  if (topic.startsWith(ATTR_REQUEST_PREFIX)) return 'deviceAttributeRequest'
  if (topic.startsWith(RPC_RESPONSE_PREFIX)) return 'gatewayRpcReply'
  return 'other'
}

/** Classifies and validates one message a client published. Never throws. */
export function parseUplink(topic: string, payload: Uint8Array): ParsedUplink {
  const raw = decoder.decode(payload)
  let kind = kindOf(topic)
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    return { kind, raw, payload: undefined, malformed: true, problem: `malformed JSON: ${why}`, event: undefined }
  }
  const base = { raw, payload: parsed, malformed: false }
  if (kind === 'deviceRpcRequest') {
    const requestId = topic.slice(RPC_REQUEST_PREFIX.length)
    const method = isObject(parsed) && typeof parsed.method === 'string' ? parsed.method : ''
    if (method === 'getSessionLimits') kind = 'sessionLimitsRequest'
    const event: UplinkEvent = method === 'getSessionLimits' ? { kind: 'sessionLimitsRequest', requestId } : { kind: 'deviceRpcRequest', requestId, method }
    return { ...base, kind, problem: method ? undefined : 'RPC request without a "method"', event }
  }
  if (kind === 'deviceAttributeRequest') {
    return { ...base, kind, problem: undefined, event: { kind: 'deviceAttributeRequest', requestId: topic.slice(ATTR_REQUEST_PREFIX.length) } }
  }
  if (kind === 'gatewayRpcReply') {
    return { ...base, kind, problem: undefined, event: { kind: 'gatewayRpcReply', requestId: topic.slice(RPC_RESPONSE_PREFIX.length), data: parsed } }
  }
  if (kind === 'other') return { ...base, kind, problem: undefined, event: { kind: 'other' } }
  const shaped = shapeGatewayTopic(kind, parsed)
  return { ...base, kind, problem: shaped.problem, event: shaped.event }
}

/** Device names an uplink event concerns. */
export function devicesOf(event: UplinkEvent | undefined): string[] {
  if (!event) return []
  switch (event.kind) {
    case 'attributes':
    case 'telemetry':
      return event.items.map((i) => i.device)
    case 'connect':
    case 'disconnect':
    case 'attributeRequest':
    case 'rpcReply':
      return [event.device]
    default:
      return []
  }
}
