/**
 * Classifies messages from ThingsBoard by topic and shape. Anything ThingsBoard never sends — our
 * own publishes echoed by a plain broker, malformed JSON, wrong shapes — becomes `ignored`.
 */
import type { AttributeUpdateEvent, GatewayRpcEvent, RpcEvent } from './types.ts'

export const TOPIC_ATTRIBUTE_REQUEST = 'v1/gateway/attributes/request'
export const TOPIC_ATTRIBUTE_RESPONSE = 'v1/gateway/attributes/response'
export const TOPIC_RPC = 'v1/gateway/rpc'
export const TOPIC_GW_ATTRIBUTES = 'v1/gateway/attributes'
export const TOPIC_ME_RPC_REQUEST = 'v1/devices/me/rpc/request/'
export const TOPIC_ME_RPC_RESPONSE = 'v1/devices/me/rpc/response/'
/** Telemetry of the gateway device itself (statistics). */
export const TOPIC_ME_TELEMETRY = 'v1/devices/me/telemetry'
/** The one RPC this client itself sends on `v1/devices/me/rpc/request/{id}`. */
export const SESSION_LIMITS_METHOD = 'getSessionLimits'
const REQUEST_ID = /^(0|[1-9][0-9]{0,15})$/

export type Inbound =
  | { kind: 'attributeUpdate'; event: AttributeUpdateEvent }
  | { kind: 'rpc'; event: RpcEvent }
  | { kind: 'gatewayRpc'; event: GatewayRpcEvent }
  | { kind: 'attributeResponse'; id: number; message: Record<string, unknown> }
  | { kind: 'meRpcResponse'; requestId: number; body: unknown }
  | { kind: 'ignored'; reason: string }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A payload's JSON, parsed already (large payloads are parsed in slices before they are classified). */
export type ParsedPayload = { ok: true; value: unknown } | { ok: false }

function parse(payload: Buffer): ParsedPayload {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) }
  } catch {
    return { ok: false }
  }
}

export function classifyInbound(topic: string, payload: Buffer, parsedAlready?: ParsedPayload): Inbound {
  const parsed = parsedAlready ?? parse(payload)
  if (!parsed.ok) return { kind: 'ignored', reason: `malformed JSON on ${topic}` }
  const body = parsed.value
  if (topic === TOPIC_GW_ATTRIBUTES) {
    if (isObject(body) && typeof body['device'] === 'string' && isObject(body['data'])) {
      return { kind: 'attributeUpdate', event: { device: body['device'], data: body['data'] } }
    }
    return { kind: 'ignored', reason: 'not an attribute update {"device","data"} (our own publish echoed?)' }
  }
  if (topic === TOPIC_RPC) {
    if (isObject(body) && typeof body['device'] === 'string' && !('id' in body) && isObject(body['data'])) {
      const data = body['data']
      const id = data['id']
      if (typeof data['method'] === 'string' && (typeof id === 'number' || typeof id === 'string')) {
        return { kind: 'rpc', event: { device: body['device'], data: { id, method: data['method'], params: data['params'] } } }
      }
    }
    return { kind: 'ignored', reason: 'not an RPC request {"device","data":{"id","method"}} (our own reply echoed?)' }
  }
  if (topic === TOPIC_ATTRIBUTE_RESPONSE) {
    if (isObject(body) && typeof body['id'] === 'number') return { kind: 'attributeResponse', id: body['id'], message: body }
    return { kind: 'ignored', reason: 'attribute response without a numeric id' }
  }
  if (topic.startsWith(TOPIC_ME_RPC_REQUEST)) {
    const idText = topic.slice(TOPIC_ME_RPC_REQUEST.length)
    const id = REQUEST_ID.test(idText) ? Number(idText) : Number.NaN
    if (!Number.isSafeInteger(id)) return { kind: 'ignored', reason: `gateway RPC with a request id that is not an integer: ${topic}` }
    if (!isObject(body) || typeof body['method'] !== 'string' || body['method'] === '') {
      return { kind: 'ignored', reason: 'not a gateway RPC request {"method","params"}' }
    }
    // a plain broker echoes our own getSessionLimits request back (ThingsBoard never sends it)
    if (body['method'] === SESSION_LIMITS_METHOD) return { kind: 'ignored', reason: 'our own getSessionLimits request echoed' }
    return { kind: 'gatewayRpc', event: { id, method: body['method'], params: body['params'] } }
  }
  if (topic.startsWith(TOPIC_ME_RPC_RESPONSE)) {
    const requestId = Number(topic.slice(TOPIC_ME_RPC_RESPONSE.length))
    if (Number.isInteger(requestId)) return { kind: 'meRpcResponse', requestId, body }
  }
  return { kind: 'ignored', reason: `unexpected topic ${topic}` }
}
