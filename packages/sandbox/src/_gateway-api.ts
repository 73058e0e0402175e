import type { Client, PublishPacket } from 'aedes'
import { devicesOf, parseUplink, type UplinkEvent, type Values } from './_parse.ts'
import type { Recorder } from './_recorder.ts'
import type { AttributeResponseShape, Logger, ResolvedBehaviour } from './options.ts'
import type { MessageKind, RecordedMessage } from './types.ts'

/** What the uplink handler needs from the sandbox around it. */
export interface ApiContext {
  recorder: Recorder
  behaviour(): ResolvedBehaviour
  /** MQTT session number of a connected client. */
  sessionOf(client: Client): number
  /** Publishes an answer to one client only (as ThingsBoard answers the session that asked) and records it. */
  answer(client: Client, topic: string, payload: unknown, kind: MessageKind, devices: string[]): void
  /** Settles a pending `sendRpc` (`sendGatewayRpc`: device ''); false when nothing waits for this device + id. */
  settleRpc(device: string, id: number | string, data: unknown): boolean
  /** Runs `fn` after `ms` (timers are cancelled when the sandbox stops). */
  later(ms: number, fn: () => void): void
  /** A message was recorded (log line, waiters). */
  recorded(message: RecordedMessage, notes: string[]): void
  logger: Logger
}

/** Key of `sendGatewayRpc` requests among the pending RPCs (device names are never empty). */
export const GATEWAY_RPC_DEVICE = ''

/** Builds the `v1/gateway/attributes/response` body for a request. */
export function attributeAnswer(
  request: { id: number | string; device: string; keys: readonly string[] },
  values: Values,
  shape: AttributeResponseShape,
): Record<string, unknown> {
  const out: Record<string, unknown> = { id: request.id, device: request.device }
  const keys = request.keys.length > 0 ? request.keys : Object.keys(values)
  const found = keys.filter((k) => Object.hasOwn(values, k))
  const single = shape === 'requested' ? request.keys.length === 1 : found.length === 1
  if (single) {
    const key = found[0]
    if (key !== undefined) out.value = values[key]
  } else if (shape === 'requested' || found.length > 0) {
    out.values = Object.fromEntries(found.map((k) => [k, values[k]]))
  }
  return out
}

/** Applies what the message changes in the recorded state. */
function apply(ctx: ApiContext, client: Client, event: UplinkEvent, now: number, notes: string[]): void {
  const rec = ctx.recorder
  switch (event.kind) {
    case 'connect':
      rec.connect(event.device, event.type, ctx.sessionOf(client), now)
      return
    case 'disconnect':
      if (!rec.disconnect(event.device, now)) notes.push(`unknown device "${event.device}"`)
      return
    case 'attributes':
      for (const item of event.items) {
        noteData(notes, item.device, rec.attributes(item.device, item.values, ctx.sessionOf(client), now))
      }
      return
    case 'telemetry':
      for (const item of event.items) {
        const r = rec.telemetry(item.device, item.entries, ctx.sessionOf(client), now)
        noteData(notes, item.device, r)
        if (r.duplicates > 0) notes.push(`${r.duplicates} duplicate entr${r.duplicates === 1 ? 'y' : 'ies'} for ${item.device}`)
      }
      return
    case 'rpcReply':
      if (!ctx.settleRpc(event.device, event.id, event.data)) {
        rec.state.unmatchedRpcReplies++
        notes.push('no pending RPC with this device and id')
      }
      return
    case 'attributeRequest':
      // ThingsBoard connects the device to the gateway that asks about it (its answer goes there).
      rec.claim(event.device, ctx.sessionOf(client), now)
      return
    case 'gatewayRpcReply':
      if (!ctx.settleRpc(GATEWAY_RPC_DEVICE, event.requestId, event.data)) {
        rec.state.unmatchedRpcReplies++
        notes.push('no pending gateway RPC with this id')
      }
      return
    default:
  }
}

function noteData(notes: string[], device: string, r: { autoCreated: boolean; beforeConnect: boolean }): void {
  if (r.autoCreated) notes.push(`${device} auto-created (no connect before data)`)
  else if (r.beforeConnect) notes.push(`${device} not connected in this session`)
}

function answerRequest(ctx: ApiContext, client: Client, event: UplinkEvent): void {
  const b = ctx.behaviour()
  switch (event.kind) {
    case 'attributeRequest': {
      if (!b.answerAttributeRequests) return
      const send = (): void => {
        if (client.closed) return ctx.logger.debug({ clientId: client.id }, 'sandbox: attribute answer dropped, client gone')
        const values = ctx.recorder.attributesOf(event.device, event.client)
        const body = attributeAnswer(event, values, ctx.behaviour().attributeResponseShape)
        ctx.answer(client, 'v1/gateway/attributes/response', body, 'attributeResponse', [event.device])
      }
      if (b.attributeResponseDelayMs > 0) ctx.later(b.attributeResponseDelayMs, send)
      else send()
      return
    }
    case 'sessionLimitsRequest':
      if (b.sessionLimits !== false) {
        ctx.answer(client, `v1/devices/me/rpc/response/${event.requestId}`, b.sessionLimits, 'sessionLimitsResponse', [])
      }
      return
    case 'deviceAttributeRequest':
      // The gateway asks for its own attributes; the sandbox keeps none for the gateway device.
      ctx.answer(client, `v1/devices/me/attributes/response/${event.requestId}`, {}, 'deviceAttributeResponse', [])
      return
    default:
  }
}

/** Records one message a client published and reacts as ThingsBoard would. Never throws for bad input. */
export function handleUplink(ctx: ApiContext, client: Client, packet: PublishPacket): void {
  const now = Date.now()
  const bytes = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
  const parsed = parseUplink(packet.topic, bytes)
  const notes: string[] = []
  if (parsed.event) apply(ctx, client, parsed.event, now, notes)
  const message = ctx.recorder.record({
    time: now,
    direction: 'up',
    clientId: client.id,
    topic: packet.topic,
    kind: parsed.kind,
    qos: packet.qos,
    raw: parsed.raw,
    payload: parsed.payload,
    malformed: parsed.malformed,
    ...(parsed.problem ? { problem: parsed.problem } : {}),
    devices: devicesOf(parsed.event),
  })
  if (parsed.problem) ctx.logger.warn(`sandbox: ${packet.topic} from ${client.id}: ${parsed.problem}`)
  ctx.recorded(message, notes)
  if (parsed.event) answerRequest(ctx, client, parsed.event)
}
