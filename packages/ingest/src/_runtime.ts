/** State shared by every route of one ingest server: the sink, the logger and the counters. */
import { isOutboxFull } from '@restgate/core'
import { jsonLimitDefaults, type JsonLimits } from './_json-limits.ts'
import { LogLimiter } from './_log-limiter.ts'
import type { Reply } from './_respond.ts'
import type { Logger } from './logger.ts'
import type { IngestSink, IngestStats } from './types.ts'

export class IngestRuntime {
  readonly sink: IngestSink
  readonly logger: Logger
  readonly connectorName: string
  /** The `meta` of every `sink.accept` (one frozen object, not one per request). */
  readonly acceptMeta: { readonly connectorName: string }
  readonly retryAfterSeconds: number
  /** Bounds of one JSON body (depth, top-level elements, keys); a reload (`update()`) swaps them. */
  limits: JsonLimits
  /** Rate-limited lines for refused requests and failed authentications. */
  readonly requestLog: LogLimiter
  /** Set by `close()`: answers then carry `Connection: close`. */
  closing = false
  listening = false
  requests = 0
  inFlight = 0
  waiting = 0
  records = 0
  datapoints = 0
  droppedDatapoints = 0
  /** `IngestServerOptions.onResponse`. */
  onResponse: ((endpoint: string, status: number) => void) | undefined = undefined
  readonly byStatus: Record<number, number> = {}

  constructor(
    sink: IngestSink,
    logger: Logger,
    connectorName: string,
    retryAfterSeconds: number,
    limits: JsonLimits = jsonLimitDefaults,
    logIntervalMs = 60_000,
  ) {
    this.sink = sink
    this.logger = logger
    this.connectorName = connectorName
    this.acceptMeta = Object.freeze({ connectorName })
    this.retryAfterSeconds = retryAfterSeconds
    this.limits = limits
    this.requestLog = new LogLimiter(logger, { intervalMs: logIntervalMs })
  }

  /** Counts an answer on its way out. */
  finish(reply: Reply, endpoint = ''): Reply {
    const status = reply.status
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1
    if (this.onResponse !== undefined) this.onResponse(endpoint, status)
    if (this.closing) reply.headers = { ...reply.headers, connection: 'close' }
    return reply
  }

  stats(): IngestStats {
    return {
      requests: this.requests,
      inFlight: this.inFlight,
      waiting: this.waiting,
      records: this.records,
      datapoints: this.datapoints,
      droppedDatapoints: this.droppedDatapoints,
      byStatus: { ...this.byStatus },
      listening: this.listening,
    }
  }
}

/** `Retry-After` seconds from a sink's outbox-full error (the `OutboxFull` contract of @restgate/core), else the fallback; always a positive integer. */
export function retryAfterOf(error: unknown, fallback: number): string {
  const value: unknown = isOutboxFull(error) ? error.retryAfterSeconds : undefined
  const seconds = typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
  return String(Math.max(1, Math.ceil(seconds)))
}

/** The string `code` of an error-like value, if it has one. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
