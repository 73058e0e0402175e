/**
 * Turns a pack of stored records into Gateway API publishes: `v1/gateway/connect` for devices not yet
 * connected in this session, then `v1/gateway/attributes` (one round per attribute record of a device,
 * so a later value never merges over an earlier one out of order), then `v1/gateway/telemetry`.
 * Every payload is compact JSON split to the byte limit at datapoint granularity.
 *
 * Hot path (once per record): a telemetry entry or an attribute object whose values are plain JSON
 * is serialised with one JSON.stringify (the same bytes as joining its datapoints one by one); the
 * per-datapoint path runs only for values that need it or for objects too big for one payload.
 */
import type { StoredEntry } from '@restgate/storage'

export const TOPIC_CONNECT = 'v1/gateway/connect'
export const TOPIC_ATTRIBUTES = 'v1/gateway/attributes'
export const TOPIC_TELEMETRY = 'v1/gateway/telemetry'

export interface PlannedMessage {
  topic: string
  payload: string
  /** Datapoints in the message (rate limits count them). */
  datapoints: number
}

export interface PackPlan {
  connects: Array<{ device: string; payload: string }>
  messages: PlannedMessage[]
  /** Devices whose `connectorType`/`connectorName` attributes ride in this pack. */
  described: string[]
  /** Datapoints that could not be serialised (dropped), with the reason. */
  dropped: Array<{ device: string; key: string; reason: string }>
  /** Datapoints larger than the limit on their own (sent alone, over the limit). */
  oversize: Array<{ device: string; key: string; bytes: number }>
}

export interface PlanContext {
  isConnected(device: string): boolean
  needsDescription(device: string): boolean
  connectorType: string
  connectorName: string
  maxPayloadBytes: number
}

interface Piece {
  text: string
  bytes: number
  datapoints: number
  /** A whole attribute object sent as one piece: split into its datapoints when it has to be. */
  attrs?: Record<string, unknown>
}

/** One device of the pack: its JSON key, and the pieces of the group being assembled. */
interface Group {
  device: string
  key: string
  keyBytes: number
  pieces: Piece[]
}

interface DeviceState extends Group {
  /** Attribute rounds this device has so far. */
  rounds: number
  /** Telemetry entries (the telemetry group's pieces), once it has some. */
  telemetry: Piece[] | undefined
}

const bytesOf = (s: string): number => Buffer.byteLength(s, 'utf8')

/** Serialises one datapoint; undefined values are absent (JSON semantics), others that fail are dropped. */
function datapoint(device: string, key: string, value: unknown, plan: PackPlan): (Piece & { key: string }) | undefined {
  if (value === undefined) return undefined
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (error) {
    plan.dropped.push({ device, key, reason: error instanceof Error ? error.message : String(error) })
    return undefined
  }
  if (json === undefined) {
    plan.dropped.push({ device, key, reason: `a ${typeof value} is not JSON` })
    return undefined
  }
  const text = `${JSON.stringify(key)}:${json}`
  return { key, text, bytes: bytesOf(text), datapoints: 1 }
}

/** Keys of `values` when every value is plainly JSON (one JSON.stringify serialises it exactly), else -1; 0 for none. */
function plainKeys(values: Record<string, unknown>): number {
  let count = 0
  for (const k in values) {
    if (!Object.hasOwn(values, k)) continue
    const t = typeof values[k]
    if (t !== 'number' && t !== 'string' && t !== 'boolean' && t !== 'object') return -1
    count++
  }
  return count
}

/** `values` as JSON without its braces, or undefined when something inside cannot be serialised. */
function innerJson(values: Record<string, unknown>): string | undefined {
  try {
    return JSON.stringify(values).slice(1, -1)
  } catch {
    return undefined // the per-datapoint path says which datapoint
  }
}

/** Packs groups into payloads `{"D1":<open>pieces<close>,...}` of at most `limit` bytes. */
function assemble(groups: readonly Group[], open: string, close: string, limit: number, topic: string, plan: PackPlan): void {
  // parts of the message being built, joined once per message
  let parts: string[] = []
  let size = 2
  let datapoints = 0
  let current: string | undefined
  const closeGroup = (): void => {
    if (current !== undefined) parts.push(close)
    current = undefined
  }
  const flush = (): void => {
    closeGroup()
    if (parts.length > 0) plan.messages.push({ topic, payload: `{${parts.join('')}}`, datapoints })
    parts = []
    size = 2
    datapoints = 0
  }
  for (const group of groups) {
    const pieces = group.pieces
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as Piece
      const startsGroup = current !== group.key
      const sep = parts.length > 0 ? 1 : 0
      const add = startsGroup ? sep + group.keyBytes + 3 + piece.bytes : 1 + piece.bytes
      if (size + add > limit && parts.length > 0) {
        if (piece.attrs !== undefined) {
          // split where the per-datapoint pieces would have split
          pieces.splice(i, 1, ...singleAttributePieces(group, piece.attrs, limit - (group.keyBytes + 5), plan))
          i--
          continue
        }
        flush()
      }
      if (current !== group.key) {
        closeGroup()
        if (parts.length > 0) parts.push(',')
        size += (parts.length > 0 ? 1 : 0) + group.keyBytes + 3 + piece.bytes
        parts.push(group.key, ':', open, piece.text)
        current = group.key
      } else {
        size += 1 + piece.bytes
        parts.push(',', piece.text)
      }
      datapoints += piece.datapoints
    }
    closeGroup()
  }
  flush()
}

/** Telemetry entry pieces; an entry too big for one payload is split into entries with the same ts. */
function telemetryPieces(group: Group, pieces: Piece[], ts: number, values: Record<string, unknown>, limit: number, plan: PackPlan): void {
  const head = `{"ts":${JSON.stringify(ts)},"values":{`
  const count = plainKeys(values)
  if (count === 0) return
  if (count > 0) {
    const inner = innerJson(values)
    if (inner !== undefined) {
      const bytes = bytesOf(head) + bytesOf(inner) + 2
      // fits in one entry: exactly what the per-datapoint path below would build
      if (bytes <= limit - (group.keyBytes + 5)) {
        pieces.push({ text: `${head}${inner}}}`, bytes, datapoints: count })
        return
      }
    }
  }
  const points: Array<Piece & { key: string }> = []
  for (const k of Object.keys(values)) {
    const p = datapoint(group.device, k, values[k], plan)
    if (p !== undefined) points.push(p)
  }
  if (points.length === 0) return
  const frame = bytesOf(head) + 2
  const budget = limit - (group.keyBytes + 5) - frame
  let chunk: Piece[] = []
  let chunkBytes = 0
  const emit = (): void => {
    if (chunk.length === 0) return
    const text = `${head}${chunk.map((p) => p.text).join(',')}}}`
    pieces.push({ text, bytes: frame + chunkBytes, datapoints: chunk.length })
    chunk = []
    chunkBytes = 0
  }
  for (const p of points) {
    const add = (chunk.length > 0 ? 1 : 0) + p.bytes
    if (chunkBytes + add > budget && chunk.length > 0) emit()
    if (p.bytes > budget) {
      plan.oversize.push({ device: group.device, key: p.key, bytes: p.bytes })
    }
    chunkBytes += (chunk.length > 0 ? 1 : 0) + p.bytes
    chunk.push(p)
  }
  emit()
}

/** The pieces of one attribute object: one whole piece when it is plain JSON and fits, else one per datapoint. */
function attributePieces(group: Group, attrs: Record<string, unknown>, limit: number, plan: PackPlan): Piece[] {
  const budget = limit - (group.keyBytes + 5)
  const count = plainKeys(attrs)
  if (count > 0) {
    const inner = innerJson(attrs)
    if (inner !== undefined) {
      const bytes = bytesOf(inner)
      if (bytes <= budget) return [{ text: inner, bytes, datapoints: count, attrs }]
    }
  }
  return singleAttributePieces(group, attrs, budget, plan)
}

function singleAttributePieces(group: Group, attrs: Record<string, unknown>, budget: number, plan: PackPlan): Piece[] {
  const pieces: Piece[] = []
  for (const k of Object.keys(attrs)) {
    const p = datapoint(group.device, k, attrs[k], plan)
    if (p === undefined) continue
    if (p.bytes > budget) plan.oversize.push({ device: group.device, key: k, bytes: p.bytes })
    pieces.push(p)
  }
  return pieces
}

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true
  return false
}

export function planPack(entries: readonly StoredEntry[], ctx: PlanContext): PackPlan {
  const plan: PackPlan = { connects: [], messages: [], described: [], dropped: [], oversize: [] }
  const limit = ctx.maxPayloadBytes
  const devices = new Map<string, DeviceState>()
  /** Per attribute round, the devices with an attribute record in it (in order) and their attributes. */
  const rounds: Array<{ states: DeviceState[]; attrs: Array<Record<string, unknown>> }> = []
  const withTelemetry: DeviceState[] = []

  for (const { record } of entries) {
    const device = record.deviceName
    let st = devices.get(device)
    let attrs = record.attributes !== undefined && hasKeys(record.attributes) ? record.attributes : undefined
    if (st === undefined) {
      const key = JSON.stringify(device)
      st = { device, key, keyBytes: bytesOf(key), pieces: [], rounds: 0, telemetry: undefined }
      devices.set(device, st)
      if (!ctx.isConnected(device)) {
        const type = record.deviceType === '' ? 'default' : record.deviceType
        plan.connects.push({ device, payload: `{"device":${key},"type":${JSON.stringify(type)}}` })
      }
      if (ctx.needsDescription(device)) {
        plan.described.push(device)
        const description = { connectorType: ctx.connectorType, connectorName: record.connectorName ?? ctx.connectorName }
        attrs = { ...description, ...attrs }
      }
    }
    if (attrs !== undefined) {
      const round = st.rounds++
      let r = rounds[round]
      if (r === undefined) rounds.push((r = { states: [], attrs: [] }))
      r.states.push(st)
      r.attrs.push(attrs)
    }
    if (record.telemetry !== undefined && record.telemetry.length > 0) {
      let pieces = st.telemetry
      if (pieces === undefined) {
        pieces = st.telemetry = []
        withTelemetry.push(st)
      }
      for (const entry of record.telemetry) telemetryPieces(st, pieces, entry.ts, entry.values, limit, plan)
    }
  }

  for (const round of rounds) {
    const groups: Group[] = []
    for (let i = 0; i < round.states.length; i++) {
      const st = round.states[i] as DeviceState
      const pieces = attributePieces(st, round.attrs[i] as Record<string, unknown>, limit, plan)
      if (pieces.length > 0) groups.push({ device: st.device, key: st.key, keyBytes: st.keyBytes, pieces })
    }
    assemble(groups, '{', '}', limit, TOPIC_ATTRIBUTES, plan)
  }
  const telemetry: Group[] = []
  for (const st of withTelemetry)
    if ((st.telemetry as Piece[]).length > 0) telemetry.push({ device: st.device, key: st.key, keyBytes: st.keyBytes, pieces: st.telemetry as Piece[] })
  assemble(telemetry, '[', ']', limit, TOPIC_TELEMETRY, plan)
  return plan
}
