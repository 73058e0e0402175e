/**
 * Turns a pack of stored records into Gateway API publishes: `v1/gateway/connect` for devices not yet
 * connected in this session, then `v1/gateway/attributes` (one round per attribute record of a device,
 * so a later value never merges over an earlier one out of order), then `v1/gateway/telemetry`.
 * Every payload is compact JSON split to the byte limit at datapoint granularity.
 */
import type { StoredEntry } from '../storage/types.ts'

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
  key: string
  text: string
  bytes: number
  datapoints: number
  /** A whole object sent as one piece: its single datapoints, for when it has to be split. */
  expand?: () => Piece[]
}

interface Group {
  device: string
  key: string
  keyBytes: number
  pieces: Piece[]
}

const bytesOf = (s: string): number => Buffer.byteLength(s, 'utf8')

/** Serialises one datapoint; undefined values are absent (JSON semantics), others that fail are dropped. */
function datapoint(device: string, key: string, value: unknown, plan: PackPlan): Piece | undefined {
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

/**
 * `values` as JSON without its braces and its number of keys, when every value is plainly JSON
 * (so one JSON.stringify gives exactly the per-datapoint texts joined by commas); else undefined.
 */
function wholeJson(values: Record<string, unknown>): { inner: string; count: number } | undefined {
  const keys = Object.keys(values)
  if (keys.length === 0) return undefined
  for (const k of keys) {
    const t = typeof values[k]
    if (t !== 'number' && t !== 'string' && t !== 'boolean' && t !== 'object') return undefined
  }
  let json: string
  try {
    json = JSON.stringify(values)
  } catch {
    return undefined // something inside is not serialisable: the per-datapoint path says which
  }
  return { inner: json.slice(1, -1), count: keys.length }
}

function keyOf(device: string): { key: string; keyBytes: number } {
  const key = JSON.stringify(device)
  return { key, keyBytes: bytesOf(key) }
}

/** Packs groups into payloads `{"D1":<open>pieces<close>,...}` of at most `limit` bytes. */
function assemble(groups: Group[], open: string, close: string, limit: number, topic: string, out: PlannedMessage[]): void {
  let parts: string[] = []
  let size = 2
  let datapoints = 0
  let current: string | undefined
  let groupPieces: string[] = []
  const closeGroup = (): void => {
    if (current !== undefined) parts.push(`${current}:${open}${groupPieces.join(',')}${close}`)
    current = undefined
    groupPieces = []
  }
  const flush = (): void => {
    closeGroup()
    if (parts.length > 0) out.push({ topic, payload: `{${parts.join(',')}}`, datapoints })
    parts = []
    size = 2
    datapoints = 0
  }
  for (const group of groups) {
    const pieces = group.pieces
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as Piece
      const startsGroup = current !== group.key
      const add = startsGroup
        ? (parts.length > 0 || current !== undefined ? 1 : 0) + group.keyBytes + 3 + piece.bytes
        : 1 + piece.bytes
      if (size + add > limit && (current !== undefined || parts.length > 0)) {
        if (piece.expand !== undefined) {
          // split where the per-datapoint pieces would have split
          pieces.splice(i, 1, ...piece.expand())
          i--
          continue
        }
        flush()
      }
      if (current !== group.key) {
        const sep = parts.length > 0 || current !== undefined ? 1 : 0
        closeGroup()
        size += sep + group.keyBytes + 3 + piece.bytes
        current = group.key
      } else {
        size += 1 + piece.bytes
      }
      groupPieces.push(piece.text)
      datapoints += piece.datapoints
    }
    closeGroup()
  }
  flush()
}

/** Telemetry entry pieces; an entry too big for one payload is split into entries with the same ts. */
function telemetryPieces(group: Group, ts: number, values: Record<string, unknown>, limit: number, plan: PackPlan): void {
  const whole = wholeJson(values)
  if (whole !== undefined) {
    const text = `{"ts":${JSON.stringify(ts)},"values":{${whole.inner}}}`
    const bytes = bytesOf(text)
    // fits in one entry: exactly what the per-datapoint path below would build
    if (bytes <= limit - (group.keyBytes + 5)) {
      group.pieces.push({ key: '', text, bytes, datapoints: whole.count })
      return
    }
  }
  const points: Piece[] = []
  for (const k of Object.keys(values)) {
    const p = datapoint(group.device, k, values[k], plan)
    if (p !== undefined) points.push(p)
  }
  if (points.length === 0) return
  const head = `{"ts":${JSON.stringify(ts)},"values":{`
  const frame = bytesOf(head) + 2
  const budget = limit - (group.keyBytes + 5) - frame
  let chunk: Piece[] = []
  let chunkBytes = 0
  const emit = (): void => {
    if (chunk.length === 0) return
    const text = `${head}${chunk.map((p) => p.text).join(',')}}}`
    group.pieces.push({ key: '', text, bytes: frame + chunkBytes, datapoints: chunk.length })
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

function attributePieces(group: Group, attrs: Record<string, unknown>, limit: number, plan: PackPlan): void {
  const budget = limit - (group.keyBytes + 5)
  const whole = wholeJson(attrs)
  if (whole !== undefined) {
    const bytes = bytesOf(whole.inner)
    if (bytes <= budget) {
      const expand = (): Piece[] => {
        const single: Group = { ...group, pieces: [] }
        singleAttributePieces(single, attrs, budget, plan)
        return single.pieces
      }
      group.pieces.push({ key: '', text: whole.inner, bytes, datapoints: whole.count, expand })
      return
    }
  }
  singleAttributePieces(group, attrs, budget, plan)
}

function singleAttributePieces(group: Group, attrs: Record<string, unknown>, budget: number, plan: PackPlan): void {
  for (const k of Object.keys(attrs)) {
    const p = datapoint(group.device, k, attrs[k], plan)
    if (p === undefined) continue
    if (p.bytes > budget) plan.oversize.push({ device: group.device, key: k, bytes: p.bytes })
    group.pieces.push(p)
  }
}

export function planPack(entries: readonly StoredEntry[], ctx: PlanContext): PackPlan {
  const plan: PackPlan = { connects: [], messages: [], described: [], dropped: [], oversize: [] }
  const limit = ctx.maxPayloadBytes
  const connecting = new Set<string>()
  const describing = new Set<string>()
  const rounds: Array<Map<string, Record<string, unknown>>> = []
  const attrRound = new Map<string, number>()
  const telemetry = new Map<string, Group>()

  for (const { record } of entries) {
    const device = record.deviceName
    if (!connecting.has(device) && !ctx.isConnected(device)) {
      connecting.add(device)
      const type = record.deviceType === '' ? 'default' : record.deviceType
      plan.connects.push({ device, payload: `{"device":${JSON.stringify(device)},"type":${JSON.stringify(type)}}` })
    }
    let attrs = record.attributes !== undefined && Object.keys(record.attributes).length > 0 ? record.attributes : undefined
    if (!describing.has(device) && ctx.needsDescription(device)) {
      describing.add(device)
      plan.described.push(device)
      const description = { connectorType: ctx.connectorType, connectorName: record.connectorName ?? ctx.connectorName }
      attrs = { ...description, ...attrs }
    }
    if (attrs !== undefined) {
      const round = attrRound.get(device) ?? 0
      attrRound.set(device, round + 1)
      let map = rounds[round]
      if (map === undefined) rounds.push((map = new Map()))
      map.set(device, attrs)
    }
    if (record.telemetry !== undefined && record.telemetry.length > 0) {
      let group = telemetry.get(device)
      if (group === undefined) telemetry.set(device, (group = { device, ...keyOf(device), pieces: [] }))
      for (const entry of record.telemetry) telemetryPieces(group, entry.ts, entry.values, limit, plan)
    }
  }

  for (const round of rounds) {
    const groups: Group[] = []
    for (const [device, attrs] of round) {
      const group: Group = { device, ...keyOf(device), pieces: [] }
      attributePieces(group, attrs, limit, plan)
      if (group.pieces.length > 0) groups.push(group)
    }
    assemble(groups, '{', '}', limit, TOPIC_ATTRIBUTES, plan.messages)
  }
  assemble([...telemetry.values()], '[', ']', limit, TOPIC_TELEMETRY, plan.messages)
  return plan
}
