import type { RestConnectorConfig } from '@restgate/config'
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
  /** Requests in flight per target origin (scheme://host:port); more wait their turn. @default 8 */
  maxConcurrencyPerOrigin?: number
  /** Largest response body read from a target; a larger one fails the request. @default 1048576 */
  maxResponseBytes?: number
  /** First retry delay ceiling in ms (exponential backoff with full jitter). @default 100 */
  retryBaseMs?: number
  /** Largest retry delay in ms, also the cap for `Retry-After`. @default 5000 */
  retryCapMs?: number
  /** How long `close()` lets requests in flight finish before aborting them, in ms. @default 2000 */
  closeGraceMs?: number
}

export const dispatcherDefaults: Readonly<Required<Omit<DispatcherOptions, 'config' | 'publisher' | 'logger'>>> = Object.freeze({
  maxConcurrencyPerOrigin: 8,
  maxResponseBytes: 1_048_576,
  retryBaseMs: 100,
  retryCapMs: 5_000,
  closeGraceMs: 2_000,
})

/** A shared-attribute update from ThingsBoard (`v1/gateway/attributes`). */
export interface AttributeUpdateEvent {
  device: string
  data: Record<string, unknown>
}

/** A server-side RPC from ThingsBoard (`v1/gateway/rpc`). */
export interface RpcEvent {
  device: string
  data: RpcCall
}

/**
 * Why a request failed: `http` (an error status), `redirect` (3xx with `allowRedirects: false`),
 * `timeout`, `network` (refused, reset, DNS...), `tls` (certificate rejected, handshake),
 * `too-large` (response over `maxResponseBytes`), `build` (the request could not be built: template,
 * relative URL, reserved-RPC params, custom converter), `closed` (the dispatcher closed).
 */
export type FailureKind = 'http' | 'redirect' | 'timeout' | 'network' | 'tls' | 'too-large' | 'build' | 'closed'

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
}

export interface Dispatcher {
  /** Prepares every rule: compiles templates, loads custom converters and TLS files. Idempotent; the handlers await it. */
  ready(): Promise<void>
  /** Every key × every matching `attributeUpdates` rule → one request each, all concurrently. */
  onAttributeUpdate(event: AttributeUpdateEvent): Promise<DispatchReport>
  /** Reserved `get`/`set`, else the first matching `serverSideRpc` rule; replies per the rule's `responseTimeout`. */
  onRpc(event: RpcEvent): Promise<DispatchReport>
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
