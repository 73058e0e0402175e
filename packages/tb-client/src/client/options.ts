import type { Logger } from '../logger.ts'
import type { StorageBackend } from '@restgate/storage'

/** ThingsBoard credentials (the `TbSecurity` shape of @restgate/config). File paths are absolute. */
export type TbSecurity =
  | { type: 'accessToken'; accessToken: string; caCert?: string }
  | { type: 'tlsAccessToken'; accessToken: string; caCert?: string }
  | { type: 'usernamePassword'; clientId?: string; username?: string; password?: string; caCert?: string }
  | { type: 'x509Certificate'; cert: string; privateKey: string; caCert?: string }

export interface TbClientOptions {
  /** ThingsBoard MQTT host. */
  host: string
  /** @default 1883 */
  port?: number
  /** QoS of data and `connect` messages. @default 1 */
  qos?: 0 | 1
  /** MQTT keep-alive in seconds. @default 120 */
  keepAlive?: number
  /** Credentials. */
  security: TbSecurity
  /** Use TLS. TLS is also used when a CA or client certificate is given, or for port 8883. @default false */
  tls?: boolean
  /** Skip the hostname check of the server certificate (the chain is still verified). @default false */
  insecure?: boolean
  /** Largest payload sent; lowered to 80 % of ThingsBoard's `maxPayloadSize` when it reports one. @default 8196 */
  maxPayloadSizeBytes?: number
  /** Outbox storage; the client owns it and closes it on stop(). @default createMemoryStorage() of @restgate/storage/memory (its default capacity) */
  storage?: StorageBackend | Promise<StorageBackend>
  /** Records read from storage per pack. @default 100 */
  readRecordsCount?: number
  /** Pause before looking at an empty outbox again (send() wakes the pump at once). @default 50 */
  minPackSendDelayMS?: number
  /** Packs published before the oldest is confirmed (order per device is kept). @default 8 */
  maxPacksInFlight?: number
  /**
   * Devices remembered as `connect`ed (per connection) and as described (`connectorType`/`connectorName`
   * sent). Beyond this many, the least recently seen are forgotten and simply get `connect` (and the
   * description) again when they next send, so per-device memory stays bounded (about 150 bytes per
   * remembered device). @default 10000
   */
  maxKnownDevices?: number
  /**
   * Re-announce a device (`v1/gateway/connect` again before its next data) once this many ms have
   * passed since this connection last announced it; 0 = once per connection. With several gateways
   * behind a load balancer a device may have been connected through another gateway since (ThingsBoard
   * routes a device's downlink to the gateway that connected it last): this bounds how long that lasts.
   * @default 0
   */
  reannounceAfterMs?: number
  /** Connector name sent once per device as the `connectorName` attribute when a record names none. @default 'REST Connector' */
  connectorName?: string
  /** Sent once per device as the `connectorType` attribute. @default 'rest' */
  connectorType?: string
  /** MQTT protocol version (ThingsBoard speaks 4 and 5). @default 4 */
  protocolVersion?: 4 | 5
  /** Reconnect backoff: exponential from `initialMs`, capped at `maxMs`, with jitter. @default { initialMs: 500, maxMs: 30000 } */
  reconnect?: { initialMs?: number; maxMs?: number }
  /** Time allowed for TCP/TLS + CONNACK. @default 10000 */
  connectTimeoutMs?: number
  /** A PUBACK not received within this time tears the connection down (the data is re-sent). @default 30000 */
  ackTimeoutMs?: number
  /**
   * Backoff of the storage ack of delivered records when the storage fails it: the records stay
   * stored (never re-sent) and their removal is retried, exponential from `initialMs` up to `maxMs`.
   * @default { initialMs: 200, maxMs: 30000 }
   */
  storageAckRetry?: { initialMs?: number; maxMs?: number }
  /** Ask ThingsBoard for `getSessionLimits` and respect them (by delaying, never dropping). @default true */
  requestSessionLimits?: boolean
  /** RPC replies kept while offline; the oldest is dropped (and its promise rejected) beyond this. @default 100 */
  rpcReplyQueueSize?: number
  /**
   * Inbound flow control: the QoS 1 PUBACK of an attribute update or RPC from ThingsBoard is sent
   * only once every listener has returned and every promise a listener returned has settled, so
   * the broker keeps what the application has no room for (its in-flight window per client).
   * Other packets (PUBACKs of our publishes, PINGRESP) are never held up. @default false
   */
  holdAcks?: boolean
  /** Most PUBACKs held at once; a message beyond is acknowledged at once (counted in stats().ackOverflow). With MQTT 5 also sent as Receive Maximum. @default 1000 */
  maxHeldAcks?: number
  /** Injectable clock for `receivedAt` and the announce times (`reannounceAfterMs`). @default Date.now */
  now?: () => number
  /** @default debug/info silent, warn/error to console.error */
  logger?: Logger
}

type Resolved = Required<Omit<TbClientOptions, 'storage' | 'reconnect' | 'storageAckRetry' | 'logger' | 'security' | 'host'>> & {
  reconnect: { initialMs: number; maxMs: number }
  storageAckRetry: { initialMs: number; maxMs: number }
}

export const tbClientDefaults: Omit<Resolved, 'now'> = {
  port: 1883,
  qos: 1,
  keepAlive: 120,
  tls: false,
  insecure: false,
  maxPayloadSizeBytes: 8196,
  readRecordsCount: 100,
  minPackSendDelayMS: 50,
  maxPacksInFlight: 8,
  maxKnownDevices: 10_000,
  reannounceAfterMs: 0,
  connectorName: 'REST Connector',
  connectorType: 'rest',
  protocolVersion: 4,
  reconnect: { initialMs: 500, maxMs: 30_000 },
  connectTimeoutMs: 10_000,
  ackTimeoutMs: 30_000,
  storageAckRetry: { initialMs: 200, maxMs: 30_000 },
  requestSessionLimits: true,
  rpcReplyQueueSize: 100,
  holdAcks: false,
  maxHeldAcks: 1000,
}

export interface ResolvedOptions extends Resolved {
  host: string
  security: TbSecurity
  logger?: Logger
  storage?: StorageBackend | Promise<StorageBackend>
}

/** Merges the defaults over `undefined` options and checks ranges; throws TbClientError INVALID_OPTIONS. */
export function resolveOptions(options: TbClientOptions, fail: (path: string, message: string) => never): ResolvedOptions {
  const d = tbClientDefaults
  const r: ResolvedOptions = {
    host: options.host,
    security: options.security,
    logger: options.logger,
    storage: options.storage,
    port: options.port ?? d.port,
    qos: options.qos ?? d.qos,
    keepAlive: options.keepAlive ?? d.keepAlive,
    tls: options.tls ?? d.tls,
    insecure: options.insecure ?? d.insecure,
    maxPayloadSizeBytes: options.maxPayloadSizeBytes ?? d.maxPayloadSizeBytes,
    readRecordsCount: options.readRecordsCount ?? d.readRecordsCount,
    minPackSendDelayMS: options.minPackSendDelayMS ?? d.minPackSendDelayMS,
    maxPacksInFlight: options.maxPacksInFlight ?? d.maxPacksInFlight,
    maxKnownDevices: options.maxKnownDevices ?? d.maxKnownDevices,
    reannounceAfterMs: options.reannounceAfterMs ?? d.reannounceAfterMs,
    connectorName: options.connectorName ?? d.connectorName,
    connectorType: options.connectorType ?? d.connectorType,
    protocolVersion: options.protocolVersion ?? d.protocolVersion,
    reconnect: {
      initialMs: options.reconnect?.initialMs ?? d.reconnect.initialMs,
      maxMs: options.reconnect?.maxMs ?? d.reconnect.maxMs,
    },
    connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
    ackTimeoutMs: options.ackTimeoutMs ?? d.ackTimeoutMs,
    storageAckRetry: {
      initialMs: options.storageAckRetry?.initialMs ?? d.storageAckRetry.initialMs,
      maxMs: options.storageAckRetry?.maxMs ?? d.storageAckRetry.maxMs,
    },
    requestSessionLimits: options.requestSessionLimits ?? d.requestSessionLimits,
    rpcReplyQueueSize: options.rpcReplyQueueSize ?? d.rpcReplyQueueSize,
    holdAcks: options.holdAcks ?? d.holdAcks,
    maxHeldAcks: options.maxHeldAcks ?? d.maxHeldAcks,
    now: options.now ?? Date.now,
  }
  if (typeof r.host !== 'string' || r.host === '') fail('host', 'a non-empty host name is required')
  if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) fail('port', `expected 1..65535, got ${String(r.port)}`)
  if (r.qos !== 0 && r.qos !== 1) fail('qos', `expected 0 or 1, got ${String(r.qos)}`)
  if (r.protocolVersion !== 4 && r.protocolVersion !== 5) fail('protocolVersion', `expected 4 or 5, got ${String(r.protocolVersion)}`)
  const positive: Array<[string, number]> = [
    ['maxPayloadSizeBytes', r.maxPayloadSizeBytes],
    ['readRecordsCount', r.readRecordsCount],
    ['maxPacksInFlight', r.maxPacksInFlight],
    ['maxKnownDevices', r.maxKnownDevices],
    ['reconnect.initialMs', r.reconnect.initialMs],
    ['reconnect.maxMs', r.reconnect.maxMs],
    ['connectTimeoutMs', r.connectTimeoutMs],
    ['ackTimeoutMs', r.ackTimeoutMs],
    ['storageAckRetry.initialMs', r.storageAckRetry.initialMs],
    ['storageAckRetry.maxMs', r.storageAckRetry.maxMs],
    ['rpcReplyQueueSize', r.rpcReplyQueueSize],
    ['maxHeldAcks', r.maxHeldAcks],
  ]
  for (const [path, value] of positive) {
    if (!Number.isFinite(value) || value <= 0) fail(path, `expected a positive number, got ${String(value)}`)
  }
  if (!Number.isFinite(r.reannounceAfterMs) || r.reannounceAfterMs < 0) fail('reannounceAfterMs', `expected ms >= 0, got ${String(r.reannounceAfterMs)}`)
  if (!Number.isFinite(r.keepAlive) || r.keepAlive < 0) fail('keepAlive', `expected seconds >= 0, got ${String(r.keepAlive)}`)
  if (!Number.isFinite(r.minPackSendDelayMS) || r.minPackSendDelayMS < 0) {
    fail('minPackSendDelayMS', `expected ms >= 0, got ${String(r.minPackSendDelayMS)}`)
  }
  const sec = r.security as { type?: unknown } | undefined
  if (sec === undefined || typeof sec !== 'object') fail('security', 'credentials are required')
  const types = ['accessToken', 'tlsAccessToken', 'usernamePassword', 'x509Certificate']
  if (!types.includes(sec.type as string)) fail('security.type', `expected one of ${types.join(', ')}, got ${JSON.stringify(sec.type)}`)
  return r
}
