import type { SandboxBehaviour } from './options.ts'

/** One telemetry entry as stored for a device. */
export interface TelemetryEntry {
  /** The entry's `ts`, or the arrival time when the gateway sent values without one. */
  ts: number
  values: Record<string, unknown>
  /** When the sandbox received it (ms since epoch). */
  receivedAt: number
  /** Same device, `ts` and values were already recorded once. */
  duplicate: boolean
}

/** A device as ThingsBoard would know it. */
export interface SandboxDevice {
  name: string
  /** Device profile, fixed when the device was created (as in ThingsBoard): the `connect` type, or `default`. */
  type: string
  /** Type carried by the most recent `v1/gateway/connect` for this device. */
  lastConnectType: string | undefined
  /** Connected in the current session of the gateway that connected it. A gateway disconnect clears it. */
  connected: boolean
  /** `v1/gateway/connect` messages received for it. */
  connectCount: number
  /** `v1/gateway/disconnect` messages received for it. */
  disconnectCount: number
  /** Created by telemetry/attributes before any `connect`, as ThingsBoard auto-creates (profile `default`). */
  autoCreated: boolean
  /** Telemetry/attribute messages that arrived while the device was not connected in the sending gateway's
   * current MQTT session (0 proves connect-before-data, also across reconnects). */
  dataBeforeConnect: number
  /** Client-side attributes: what the gateway sent on `v1/gateway/attributes`, merged (plus `setAttributes({ client })`). */
  attributes: Record<string, unknown>
  /** Shared attributes: `setAttributes({ shared })` and `sendAttributeUpdate` data, merged. */
  sharedAttributes: Record<string, unknown>
  /** Telemetry entries in arrival order (the last `maxTelemetryPerDevice`, 10 000 by default). */
  telemetry: TelemetryEntry[]
  /** Latest value per key (highest ts; a later arrival wins a tie). */
  latest: Record<string, { ts: number; value: unknown }>
  /** Telemetry entries seen more than once (same ts and values). */
  duplicates: number
  createdAt: number
  lastActivityAt: number
}

/** An MQTT client currently connected to the sandbox. */
export interface SandboxClient {
  id: string
  connectedAt: number
}

export type MessageKind =
  // up: gateway → sandbox
  | 'connect'
  | 'disconnect'
  | 'attributes'
  | 'telemetry'
  | 'attributeRequest'
  | 'rpcReply'
  | 'gatewayRpcReply'
  | 'sessionLimitsRequest'
  | 'deviceRpcRequest'
  | 'deviceAttributeRequest'
  | 'other'
  // down: sandbox → gateway
  | 'attributeResponse'
  | 'attributeUpdate'
  | 'rpcRequest'
  | 'gatewayRpcRequest'
  | 'sessionLimitsResponse'
  | 'deviceAttributeResponse'

/** One MQTT message seen or sent by the sandbox. */
export interface RecordedMessage {
  /** 1, 2, 3, ... in recording order (restarts at 1 after `clear()`). */
  seq: number
  time: number
  direction: 'up' | 'down'
  /** Publisher (up) or addressee (down, targeted answer); `null` for a downlink published to every subscriber. */
  clientId: string | null
  topic: string
  kind: MessageKind
  qos: 0 | 1 | 2
  /** Payload as UTF-8 text, exactly as on the wire. */
  raw: string
  /** Parsed JSON; `undefined` when `malformed`. */
  payload: unknown
  /** The payload was not valid JSON. */
  malformed: boolean
  /** Why (part of) the message could not be applied: bad JSON or not the Gateway API shape. */
  problem?: string
  /** Device names the message concerns. */
  devices: string[]
}

/** Live view of everything the sandbox recorded (do not mutate). */
export interface SandboxState {
  readonly devices: ReadonlyMap<string, Readonly<SandboxDevice>>
  readonly clients: ReadonlyMap<string, Readonly<SandboxClient>>
  /** Recent messages, oldest first; holds at least the last `maxMessages` (use `messages()` for exactly that). */
  readonly messages: readonly Readonly<RecordedMessage>[]
  /** Messages recorded since start or the last `clear()` (also those already dropped from `messages`). */
  readonly messageCount: number
  /** Telemetry entries seen twice or more, all devices. */
  readonly duplicates: number
  /** Messages whose payload was not valid JSON. */
  readonly malformed: number
  /** CONNECTs refused for a missing or unknown access token. */
  readonly refusedConnections: number
  /** Gateway RPC replies that matched no pending `sendRpc` (late or unknown id). */
  readonly unmatchedRpcReplies: number
  /** MQTT sessions closed because a newer session connected with the same access token (as ThingsBoard does). */
  readonly kickedSessions: number
}

/** The gateway that owns a device: the MQTT session that last connected it (explicitly or by sending its data). */
export interface DeviceOwner {
  /** MQTT client id of the owning session. */
  clientId: string
  /** Access token (MQTT username) of that session; undefined for a client without one. */
  token: string | undefined
}

/** Where a started sandbox listens. */
export interface SandboxAddress {
  /** `mqtt://127.0.0.1:<port>`: point the gateway's `thingsboard.host`/`port` here. */
  mqttUrl: string
  port: number
  /** Present when the HTTP view is enabled (`httpPort`). */
  httpUrl?: string
  httpPort?: number
}

export interface MessageFilter {
  topic?: string
  kind?: MessageKind
  direction?: 'up' | 'down'
  device?: string
}

export interface Sandbox {
  /** Binds the MQTT broker (and the HTTP view); a second call returns the same address. */
  start(): Promise<SandboxAddress>
  /** Closes every connection and listener; pending `sendRpc`/`waitFor` reject with code STOPPED. State is kept. */
  stop(): Promise<void>
  /** Drops every connection and listens again on the same ports; state, pending RPCs and waiters are kept. */
  restart(): Promise<SandboxAddress>
  /** Live view of what was recorded. */
  readonly state: SandboxState
  /** The address while started, else undefined. */
  readonly address: SandboxAddress | undefined
  /** Resolves with the predicate's first truthy result (checked now and after every change); rejects WAIT_TIMEOUT. */
  waitFor<T>(predicate: (state: SandboxState) => T | undefined | null | false | 0 | '', timeoutMs?: number): Promise<T>
  /** Publishes `v1/gateway/attributes {"device","data"}` (a shared-attribute update) to the gateway(s). */
  sendAttributeUpdate(device: string, data: Record<string, unknown>): Promise<void>
  /** Publishes `v1/gateway/rpc {"device","data":{"id","method","params"}}`; resolves with the `data` of the
   * gateway's reply with the same device and id; rejects RPC_TIMEOUT. */
  sendRpc(device: string, method: string, params?: unknown, options?: { timeoutMs?: number }): Promise<unknown>
  /** Publishes `v1/devices/me/rpc/request/{id} {"method","params"}` (an RPC to the gateway device itself, e.g.
   * `rest_get`, `gateway_ping`); resolves with the payload the gateway publishes on `v1/devices/me/rpc/response/{id}`;
   * rejects RPC_TIMEOUT. */
  sendGatewayRpc(method: string, params?: unknown, options?: { timeoutMs?: number }): Promise<unknown>
  /** Sets server-side attribute values that attribute requests are answered from (no message is sent). */
  setAttributes(device: string, scopes: { shared?: Record<string, unknown>; client?: Record<string, unknown> }): void
  /** The connected gateway that owns `device` (downlink for it goes there only), or undefined when none does. */
  ownerOf(device: string): DeviceOwner | undefined
  /** Changes answer behaviour while running (attribute answers, delay, session limits). */
  configure(behaviour: SandboxBehaviour): void
  /** The last `maxMessages` recorded messages (copied), optionally filtered. */
  messages(filter?: MessageFilter): RecordedMessage[]
  /** Forgets recorded traffic: messages, telemetry, counters. Devices (type, connected, attributes) stay unless `devices: true`. */
  clear(options?: { devices?: boolean }): void
}
