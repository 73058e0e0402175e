import type { MappingConfig, RestConnectorConfig } from '@restgate/config'
import type { UplinkConverter, UplinkRecord } from '@restgate/converters'
import type { Logger } from './logger.ts'

/** What an attribute-request endpoint asks ThingsBoard for. */
export interface AttributeRequest {
  device: string
  keys: string[]
  /** true for client-side attributes, false for shared ones. */
  client: boolean
}

/**
 * Where converted data goes (in the gateway: the tb-client outbox). A plain object of functions is
 * enough, which keeps ingest testable without MQTT.
 */
export interface IngestSink {
  /**
   * Stores the records; the HTTP answer (200) is sent only after this resolved. Reject with an
   * error carrying `code: 'OUTBOX_FULL'` (and `retryAfterSeconds`) to answer 503 + `Retry-After`.
   */
  accept(records: UplinkRecord[], meta: { connectorName: string }): Promise<void>
  /**
   * Asks ThingsBoard for attributes and resolves with its answer. Reject with `code: 'TIMEOUT'`
   * (→ 408) or `code: 'NOT_CONNECTED'` (→ 503). Required when the config has `attributeRequests`.
   */
  requestAttributes?(request: AttributeRequest, timeoutMs: number): Promise<unknown>
  /**
   * Resolves with the value of the next update of attribute `key` for `device`; rejects with
   * `code: 'TIMEOUT'` after `timeoutMs`, or when `signal` aborts (the client went away).
   * Required when a mapping has `response.responseExpected`.
   */
  waitForAttribute?(device: string, key: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown>
}

export interface IngestServerOptions {
  /** The normalised REST connector config (from `@restgate/config`). */
  config: RestConnectorConfig
  /** Receives converted records. */
  sink: IngestSink
  /** Ready converters per mapping; mappings not in the map get `loadConverter()` at `listen()`. */
  converters?: Map<MappingConfig, UplinkConverter>
  /**
   * Folder for files ingest generates (the self-signed certificate goes to `<dataDir>/tls/`).
   * @default `<config.configDir>/data`
   */
  dataDir?: string
  /** @default debug/info silent, warn/error to stderr */
  logger?: Logger
  /** Name passed to `sink.accept`. @default config.name */
  connectorName?: string
  /** How long `close()` lets in-flight requests finish before cutting connections (ms). @default 10000 */
  closeTimeoutMs?: number
  /** Time a client has to send a whole request, headers and body (ms). @default 30000 */
  requestTimeoutMs?: number
  /** `Retry-After` (seconds) of a 503 when the sink's error names none. @default 5 */
  retryAfterSeconds?: number
  /**
   * Interval of the rate-limited WARN lines (failed authentications per endpoint and source,
   * refused or partly dropped requests per endpoint, status and code): the first one is logged at
   * once, the rest counted into one summary line per interval (and at `close()`). @default 60000
   */
  logIntervalMs?: number
  /**
   * Called once per answer with the configured endpoint (`''` when no endpoint matched) and the
   * status, e.g. for per-endpoint metrics. Runs on the request path: keep it cheap; it must not throw.
   * @default none
   */
  onResponse?: (endpoint: string, status: number) => void
}

/** Defaults of the optional numeric options of {@link IngestServerOptions}. */
export const ingestDefaults: {
  readonly closeTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly retryAfterSeconds: number
  readonly logIntervalMs: number
} = {
  closeTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  retryAfterSeconds: 5,
  logIntervalMs: 60_000,
}

/** Counters since the server was created. */
export interface IngestStats {
  /** Requests answered or being answered. */
  requests: number
  /** Requests being handled right now (including those waiting for an attribute). */
  inFlight: number
  /** Requests held for `responseExpected` or an attribute request. */
  waiting: number
  /** Records handed to `sink.accept` and accepted. */
  records: number
  /** Datapoints (attributes + telemetry values) in the accepted records. */
  datapoints: number
  /** Datapoints the converter dropped (the `dropped` list of the answers). */
  droppedDatapoints: number
  /** Answers by HTTP status code. */
  byStatus: Record<number, number>
  listening: boolean
}

/** Options of {@link IngestServer.update} and {@link IngestServer.prepare}. */
export interface IngestUpdateOptions {
  /** Ready converters per mapping of the new config; the others are loaded before the swap. */
  converters?: Map<MappingConfig, UplinkConverter>
}

/** A compiled config whose converters are loaded, ready to be swapped in. */
export interface PreparedUpdate {
  /** Swaps it in: the next request is routed with it. Synchronous; a second call does nothing. */
  apply(): void
}

/**
 * The web-standard face of the server's h3 app: answers a `Request` without listening (tests, dry
 * runs). Kept to these two methods so h3's own types stay out of this package's public types.
 */
export interface IngestApp {
  fetch(request: Request): Response | Promise<Response>
  /** `fetch` with a path or URL relative to `http://localhost`. */
  request(input: string | URL | Request, init?: RequestInit): Response | Promise<Response>
}

export interface IngestServer {
  /** The app serving now (usable without `listen()`, e.g. `app.request('/path')` in tests); replaced by `update()`. */
  readonly app: IngestApp
  /**
   * Loads every mapping's converter (custom extensions included) without listening: call it before
   * connecting anything else, so a converter that cannot be loaded stops the start-up first.
   * `listen()` calls it too (it loads each converter once).
   */
  ready(): Promise<void>
  /** Loads converters, prepares TLS and starts listening on `server.host:server.port`. */
  listen(): Promise<{ url: string; port: number }>
  /** Stops accepting, lets in-flight requests finish (bounded), closes idle keep-alive sockets. */
  close(): Promise<void>
  /**
   * Swaps the mapping of a live server: builds the routes, security and converters of `config`
   * (loading custom converters) while the old ones keep serving, then switches to them at once.
   * Requests in flight finish with the mapping they started with; the listening socket, the
   * counters and the sink stay. Rejects, keeping the old mapping, when the new one cannot be built
   * (a converter fails to load, two endpoints clash) or when `server.host`, `server.port` or the TLS
   * settings differ on a listening server (those need a new server). Calls apply in call order.
   */
  update(config: RestConnectorConfig, options?: IngestUpdateOptions): Promise<void>
  /** The first half of `update()`, for callers that swap several things together: build now, `apply()` later. */
  prepare(config: RestConnectorConfig, options?: IngestUpdateOptions): Promise<PreparedUpdate>
  stats(): IngestStats
}
