import type { FetchAccess, RestConnectorConfig } from '@restgate/config'
import type { RpcCall } from '@restgate/converters'
import type { Logger } from './logger.ts'

/** Where RPC replies go (tb-client's `replyRpc`, which publishes `v1/gateway/rpc` at QoS 1). */
export interface RpcPublisher {
  replyRpc(device: string, id: number | string, data: unknown): Promise<void>
}

export interface DispatcherOptions {
  /** The normalised connector config; its `attributeUpdates` and `serverSideRpc` rules are used. */
  config: RestConnectorConfig
  publisher: RpcPublisher
  /** @default debug/info silent, warn/error to console.error */
  logger?: Logger
  /** Requests in flight (and undici connections) per target origin (scheme://host:port); more wait their turn. @default config.downlink, else 8 */
  maxConcurrencyPerOrigin?: number
  /** Attribute updates and RPCs worked on at once. @default config.downlink, else 256 */
  maxActiveMessages?: number
  /** Messages waiting for their turn; a message beyond is dropped visibly (RPCs get a 503 reply). @default config.downlink, else 10000 */
  maxQueuedMessages?: number
  /** Payload bytes of the messages worked on and waiting; beyond, dropped visibly. @default config.downlink, else 16777216 */
  maxQueuedBytes?: number
  /** HTTP requests built and not finished (waiting for an origin slot or in flight). @default config.downlink, else 1024 */
  maxRequests?: number
  /** Which URLs reserved `get`/`set` may fetch. @default config.reservedRpc, else enabled for any URL (as the original) */
  reservedRpc?: FetchAccess
  /** At most one drop log line per this many ms (with the count of drops in between). @default 10000 */
  dropLogIntervalMs?: number
  /** Largest response body read from a target; a larger one fails the request. @default 1048576 */
  maxResponseBytes?: number
  /** First retry delay ceiling in ms (exponential backoff with full jitter). @default 100 */
  retryBaseMs?: number
  /** Largest retry delay in ms, also the cap for `Retry-After`. @default 5000 */
  retryCapMs?: number
  /** How long `close()` lets requests in flight finish before aborting them, in ms. @default 2000 */
  closeGraceMs?: number
}

export const dispatcherDefaults: Readonly<Required<Omit<DispatcherOptions, 'config' | 'publisher' | 'logger' | 'reservedRpc'>>> = Object.freeze({
  maxConcurrencyPerOrigin: 8,
  maxActiveMessages: 256,
  maxQueuedMessages: 10_000,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxRequests: 1024,
  dropLogIntervalMs: 10_000,
  maxResponseBytes: 1_048_576,
  retryBaseMs: 100,
  retryCapMs: 5_000,
  closeGraceMs: 2_000,
})

/** A shared-attribute update from ThingsBoard (`v1/gateway/attributes`). */
export interface AttributeUpdateEvent {
  device: string
  data: Record<string, unknown>
  /** Size of the MQTT payload, counted against `maxQueuedBytes` (absent: the JSON length of `data`). */
  bytes?: number
}

/** A server-side RPC from ThingsBoard (`v1/gateway/rpc`). */
export interface RpcEvent {
  device: string
  data: RpcCall
  /** Size of the MQTT payload, counted against `maxQueuedBytes` (absent: the JSON length of `data`). */
  bytes?: number
}

/** Optional per-event hooks (the gateway holds the MQTT acknowledgement until `onAdmitted`). */
export interface DispatchHooks {
  /** Called once, when the message is taken into work, or dropped, or expired: no longer waiting for room. */
  onAdmitted?(): void
}

/**
 * Why a request failed: `http` (an error status), `redirect` (3xx with `allowRedirects: false`),
 * `timeout`, `network` (refused, reset, DNS...), `tls` (certificate rejected, handshake),
 * `too-large` (response over `maxResponseBytes`), `build` (the request could not be built: template,
 * relative URL, reserved-RPC params, custom converter), `closed` (the dispatcher closed).
 */
export type FailureKind = 'http' | 'redirect' | 'timeout' | 'network' | 'tls' | 'too-large' | 'build' | 'closed' | 'refused'

export interface RequestFailure {
  kind: FailureKind
  /** What an RPC error reply says (`"error"`). */
  message: string
  /** What an RPC error reply carries as `"code"`: the HTTP status, 408 timeout, 502 network/TLS, 400/500 build, 503 closed. */
  code: number
}

/** The outcome of one outbound request (all its tries). */
export interface RequestOutcome {
  /** Config path of the rule, e.g. `attributeUpdates[0]`, or `rpc "get" params` for reserved RPCs. */
  rule: string
  /** The attribute key (attribute updates). */
  key?: string
  method?: string
  /** Origin and path of the target (no query, no credentials), when the request was built. */
  target?: string
  ok: boolean
  /** Last HTTP status received. */
  status?: number
  /** Tries made (0 when the request could not be built). */
  attempts: number
  durationMs: number
  /** The response body, JSON-parsed or text (ok requests). */
  result?: unknown
  failure?: RequestFailure
}

export interface DispatchReport {
  /** At least one rule matched (for RPC also: a reserved `get`/`set`). */
  handled: boolean
  /** One entry per request made (or that failed to build). */
  requests: RequestOutcome[]
  /** An RPC reply was published. */
  replied: boolean
  /** The reply's `data` (published or attempted). */
  reply?: unknown
  /** The message was dropped: the downlink bounds were reached (counted in stats().dropped). */
  dropped?: boolean
}

export interface DispatcherStats {
  attributeUpdates: number
  rpcs: number
  /** Requests finished (ok or not). */
  requests: number
  succeeded: number
  failed: number
  /** Tries beyond the first. */
  retries: number
  /** Requests being sent right now. */
  inFlight: number
  /** Requests waiting for a free slot of their origin. */
  waiting: number
  replies: number
  replyFailures: number
  /** Messages dropped because the bounds were reached (RPCs got a 503 reply). */
  dropped: number
  /** RPCs whose deadline passed while they waited for room (replied 408). */
  expired: number
  /** Reserved get/set calls refused by `reservedRpc` / `restRpc`. */
  refused: number
  /** Messages worked on now (≤ maxActiveMessages). */
  activeMessages: number
  /** Messages waiting for room (≤ maxQueuedMessages). */
  queuedMessages: number
  /** Payload bytes of active and waiting messages (≤ maxQueuedBytes, but for one lone larger message). */
  heldBytes: number
  /** Requests built and not finished (≤ maxRequests). */
  requestsHeld: number
}

export interface Dispatcher {
  /** Prepares every rule: compiles templates, loads custom converters and TLS files. Idempotent; the handlers await it. */
  ready(): Promise<void>
  /** Every key × every matching `attributeUpdates` rule → one request each, all concurrently. */
  onAttributeUpdate(event: AttributeUpdateEvent, hooks?: DispatchHooks): Promise<DispatchReport>
  /** Reserved `get`/`set`, else the first matching `serverSideRpc` rule; replies per the rule's `responseTimeout`. */
  onRpc(event: RpcEvent, hooks?: DispatchHooks): Promise<DispatchReport>
  /**
   * Whether this dispatcher has something for the RPC (a reserved `get`/`set` method or a
   * `serverSideRpc` rule matching device and method), so a gateway with several connectors can
   * route it to the one that handles it. Cheap: no I/O, regexes compiled at load.
   */
  matchesRpc(event: RpcEvent): boolean
  /** Stops taking events, lets requests in flight finish for `closeGraceMs`, aborts the rest, closes connections. */
  close(): Promise<void>
  stats(): DispatcherStats
}
