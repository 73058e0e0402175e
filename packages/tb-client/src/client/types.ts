import type { StorageStats } from '@restgate/storage'
import type { TbClientError } from '../errors.ts'

/** What a converter produces for one device (structurally the `UplinkRecord` of ARCHITECTURE.md). */
export interface UplinkRecordInput {
  deviceName: string
  /** `'default'` when missing or empty. */
  deviceType?: string
  attributes?: Record<string, unknown>
  telemetry?: ReadonlyArray<{ ts: number; values: Record<string, unknown> }>
}

/** Shared-attribute update from ThingsBoard (`v1/gateway/attributes`). */
export interface AttributeUpdateEvent {
  device: string
  data: Record<string, unknown>
  /** MQTT payload size in bytes (non-enumerable). */
  readonly bytes?: number
}

/** Server-side RPC from ThingsBoard (`v1/gateway/rpc`). */
export interface RpcEvent {
  device: string
  data: { id: number | string; method: string; params: unknown }
  /** MQTT payload size in bytes (non-enumerable). */
  readonly bytes?: number
}

/**
 * RPC addressed to the gateway device itself (`v1/devices/me/rpc/request/{id}`): connector-level
 * methods `<connectorType>_<name>` (`rest_get`, `rest_set`) and gateway methods (`gateway_ping`).
 * Answer with `replyGatewayRpc(id, data)`.
 */
export interface GatewayRpcEvent {
  /** The request id from the topic (ThingsBoard's are non-negative integers). */
  id: number
  method: string
  /** As sent: the original's connector RPCs use a `k=v;k=v;` string, gateway methods an object. */
  params: unknown
}

export interface ConnectEvent {
  host: string
  port: number
  /** Connections made since start(), this one included. */
  session: number
}

export interface DisconnectEvent {
  /** Why the connection ended (socket error, PUBACK timeout, stop(), ...). */
  reason: string
}

export interface TbClientEvents {
  attributeUpdate: AttributeUpdateEvent
  rpc: RpcEvent
  gatewayRpc: GatewayRpcEvent
  connect: ConnectEvent
  disconnect: DisconnectEvent
  error: Error
}

export type TbClientEventName = keyof TbClientEvents

export interface TbClientStats {
  connected: boolean
  /** Records stored and not in flight. */
  queued: number
  /** Records whose publishes wait for confirmation. */
  inFlight: number
  /** Records delivered (confirmed) whose removal from storage failed and is retried; never sent again. */
  ackPending: number
  /** MQTT messages confirmed (PUBACK at QoS 1, written at QoS 0), data and control. */
  published: number
  /** Records removed from storage after confirmation. */
  acked: number
  /** Records released after a failed attempt and published again (possible duplicates at ThingsBoard). */
  resent: number
  /** Records or datapoints lost: dropped by the storage policy, expired by TTL, or not serialisable. */
  dropped: number
  /** Connection attempts since start(). */
  connectAttempts: number
  /** QoS 1 PUBACKs of inbound messages held now (`holdAcks`: listeners still taking them). */
  heldAcks: number
  /** Inbound messages acknowledged at once because `maxHeldAcks` PUBACKs were already held. */
  ackOverflow: number
  /** Last connection or publish error, without secrets. */
  lastError?: string
  storage: StorageStats
}

export interface TbClient {
  /** Connects in the background and keeps reconnecting (capped exponential backoff) until stop(). */
  start(): void
  /** Resolves once the storage is open; rejects with the storage's error. */
  ready(): Promise<void>
  /** Stores the records in the outbox. Resolves when stored; rejects `OutboxFullError` (`OUTBOX_FULL`). */
  send(records: readonly UplinkRecordInput[], meta?: { connectorName?: string }): Promise<void>
  /** Asks ThingsBoard for attributes; resolves with the whole response message (`{id, device, value|values}`). */
  requestAttributes(request: { device: string; keys: readonly string[]; client: boolean }, timeoutMs: number): Promise<unknown>
  /**
   * Announces `device` now: publishes `v1/gateway/connect {"device","type"}` so that ThingsBoard routes
   * the device's downlink (shared-attribute updates, RPCs) to this gateway, as it does to the gateway
   * that connected a device last. `type` defaults to the type of the device's last `send` (else
   * `default`). Resolves once ThingsBoard confirmed it; while offline, resolves at once and the device
   * is announced right after the next CONNACK (at most `maxKnownDevices` such devices are kept).
   * Rejects `INVALID_ARGUMENT` for an empty name, `STOPPED` after stop().
   */
  announce(device: string, type?: string): Promise<void>
  /** Publishes an RPC reply at QoS 1 (queued while offline). Resolves once ThingsBoard confirmed it. */
  replyRpc(device: string, id: number | string, data: unknown): Promise<void>
  /**
   * Answers a `gatewayRpc`: publishes `data` as is on `v1/devices/me/rpc/response/{id}` at QoS 1
   * (queued while offline, like `replyRpc`). Resolves once ThingsBoard confirmed it.
   */
  replyGatewayRpc(id: number | string, data: unknown): Promise<void>
  /**
   * `replyRpc` without waiting for the confirmation: takes the reply (sent now, or queued while
   * offline) and returns; throws `INVALID_ARGUMENT` or `STOPPED` at once. A reply lost after that
   * (offline queue full, client stopped) is logged and passed to `onLost`. Until its PUBACK a reply
   * holds ~250 bytes here against ~1.5 KB with `replyRpc`'s promise chain: for many replies at once.
   */
  queueRpcReply(device: string, id: number | string, data: unknown, onLost?: (error: TbClientError) => void): void
  /** `replyGatewayRpc` without waiting for the confirmation, like `queueRpcReply`. */
  queueGatewayRpcReply(id: number | string, data: unknown, onLost?: (error: TbClientError) => void): void
  /**
   * Publishes telemetry of the gateway device itself (`v1/devices/me/telemetry`, `{ts, values}`)
   * at the client's QoS, e.g. the gateway's statistics. Live data: not stored and not queued while
   * offline; rejects `NOT_CONNECTED` then (and `STOPPED` once stopping). Resolves once sent (QoS 0)
   * or confirmed (QoS 1).
   */
  sendGatewayTelemetry(values: Record<string, unknown>, ts?: number): Promise<void>
  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends TbClientEventName>(event: E, listener: (payload: TbClientEvents[E]) => void): () => void
  off<E extends TbClientEventName>(event: E, listener: (payload: TbClientEvents[E]) => void): void
  /** Waits until the outbox is empty. True when drained, false when `timeoutMs` passed first. */
  flush(timeoutMs: number): Promise<boolean>
  /** Flushes (bounded), disconnects cleanly, closes the storage. */
  stop(options?: { flushTimeoutMs?: number }): Promise<void>
  stats(): TbClientStats
}
