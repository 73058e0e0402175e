import type { RecordedMessage } from './types.ts'

const MAX_DETAIL = 160

const LABELS: Record<RecordedMessage['kind'], string> = {
  connect: 'connect',
  disconnect: 'disconnect',
  attributes: 'attributes',
  telemetry: 'telemetry',
  attributeRequest: 'attr request',
  rpcReply: 'rpc reply',
  gatewayRpcReply: 'gateway rpc reply',
  sessionLimitsRequest: 'limits request',
  deviceRpcRequest: 'gateway rpc',
  deviceAttributeRequest: 'gateway attrs?',
  other: 'other',
  attributeResponse: 'attr response',
  attributeUpdate: 'attr update',
  rpcRequest: 'rpc request',
  gatewayRpcRequest: 'gateway rpc request',
  sessionLimitsResponse: 'limits answer',
  deviceAttributeResponse: 'gateway attrs',
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

function clock(time: number): string {
  const d = new Date(time)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

function shorten(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text
}

/** One human-readable line for a recorded message, e.g.
 * `12:00:00.125 gw-1 → telemetry      SN-001 {"SN-001":[{"ts":1700000000000,"values":{"t":1}}]}`. */
export function formatMessage(m: RecordedMessage, notes: readonly string[] = []): string {
  const arrow = m.direction === 'up' ? '→' : '←'
  const who = m.clientId ?? 'all'
  const label = LABELS[m.kind].padEnd(15)
  const head = m.kind === 'other' || m.kind === 'deviceRpcRequest' ? `${m.topic} ` : ''
  const devices = m.devices.length > 0 ? `${m.devices.join(', ')} ` : ''
  const flags = [...notes, ...(m.problem ? [m.problem] : [])]
  const tail = flags.length > 0 ? `  [${flags.join('; ')}]` : ''
  return `${clock(m.time)} ${who} ${arrow} ${label}${head}${devices}${shorten(m.raw)}${tail}`
}

/** A line about a client session (connect, disconnect, refusal). */
export function formatEvent(time: number, text: string): string {
  return `${clock(time)} ${text}`
}
