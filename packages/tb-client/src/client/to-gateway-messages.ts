/**
 * `toGatewayMessages`: the Gateway API messages (topic + payload) that `send(records)` publishes
 * for records of devices this session has not seen yet — the same validation (`toStoredRecords`)
 * and payload building (`planPack`) the client's pump runs, without a broker. For dry runs
 * (`restgate try`, the sandbox's try panel) and for people who want to see what goes on the wire.
 */
import { TOPIC_ATTRIBUTE_REQUEST } from './_inbound.ts'
import { planPack, TOPIC_CONNECT } from './_payload.ts'
import { toStoredRecords } from './_records.ts'
import { tbClientDefaults } from './options.ts'
import type { UplinkRecordInput } from './types.ts'

export interface GatewayMessage {
  topic: string
  /** Compact JSON, exactly as published. */
  payload: string
}

export interface ToGatewayMessagesOptions {
  /** Sent once per device as `connectorName` when a record names none. @default 'REST Connector' */
  connectorName?: string
  /** Sent once per device as `connectorType`. @default 'rest' */
  connectorType?: string
  /** Payloads are split at datapoint granularity to this size. @default 8196 */
  maxPayloadSizeBytes?: number
  /**
   * As for the first records of a device in a session: a `v1/gateway/connect` per device and the
   * `connectorType`/`connectorName` attributes. false: as for devices already connected and described.
   * @default true
   */
  firstTime?: boolean
}

export interface GatewayMessages {
  messages: GatewayMessage[]
  /** Datapoints that cannot be serialised (they would be dropped), with the reason. */
  dropped: Array<{ device: string; key: string; reason: string }>
  /** Datapoints larger than the payload limit on their own (they would be sent alone). */
  oversize: Array<{ device: string; key: string; bytes: number }>
}

/** Throws `TbClientError('INVALID_RECORD')` for records `send()` would refuse. */
export function toGatewayMessages(records: readonly UplinkRecordInput[], options: ToGatewayMessagesOptions = {}): GatewayMessages {
  const d = tbClientDefaults
  const firstTime = options.firstTime ?? true
  const stored = toStoredRecords(records, options.connectorName, 0)
  const plan = planPack(
    stored.map((record, id) => ({ id, record })),
    {
      isConnected: () => !firstTime,
      needsDescription: () => firstTime,
      connectorType: options.connectorType ?? d.connectorType,
      connectorName: options.connectorName ?? d.connectorName,
      maxPayloadBytes: options.maxPayloadSizeBytes ?? d.maxPayloadSizeBytes,
    },
  )
  const messages: GatewayMessage[] = plan.connects.map((c) => ({ topic: TOPIC_CONNECT, payload: c.payload }))
  for (const m of plan.messages) messages.push({ topic: m.topic, payload: m.payload })
  return { messages, dropped: plan.dropped, oversize: plan.oversize }
}

/** The `v1/gateway/attributes/request` message `requestAttributes()` publishes (its answer comes back by `id`). */
export function toAttributeRequestMessage(request: { device: string; keys: readonly string[]; client: boolean }, id: number): GatewayMessage {
  const payload = `{"id":${id},"device":${JSON.stringify(request.device)},"client":${request.client === true},"keys":${JSON.stringify(request.keys)}}`
  return { topic: TOPIC_ATTRIBUTE_REQUEST, payload }
}
