/**
 * Prometheus metrics of a running gateway (prom-client). Almost everything is read from the
 * packages' `stats()` when Prometheus scrapes (collect-on-scrape): nothing runs per request except
 * the per-endpoint answer count (two Map lookups and an increment) and one histogram observation
 * per downlink request.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { GatewayObserver, GatewayStats } from './gateway.ts'

export interface GatewayMetrics {
  readonly registry: Registry
  /** Feeds the per-endpoint and downlink metrics; pass it as `createGateway({ observer })`. */
  readonly observer: GatewayObserver
  /** The exposition text (`GET /metrics`). */
  metrics(): Promise<string>
  readonly contentType: string
}

export interface GatewayMetricsOptions {
  /** Read at every scrape. */
  stats: () => GatewayStats | undefined
  /** ThingsBoard connection state kept by the admin endpoint. */
  connection: () => { connects: number; disconnects: number }
  /** Also collect Node's process metrics (`process_*`, `nodejs_*`, event-loop lag). @default true */
  processMetrics?: boolean
}

type Setter = (labels: Record<string, string>, value: number) => void

/** Fills one sample per connector. */
const perConnector =
  (pick: (c: GatewayStats['connectors'][number]) => number) =>
  (set: Setter, s: GatewayStats): void => {
    for (const c of s.connectors) set({ connector: c.name }, pick(c))
  }

/** Answers per connector → endpoint → status, counted on the request path. */
type ResponseCounts = Map<string, Map<string, Map<number, number>>>

export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const registry = new Registry()
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry })
  const responses: ResponseCounts = new Map()
  /** Every metric is created unregistered and registered here (one registry per gateway, not prom-client's global one). */
  const registers: Registry[] = []
  const add = <M extends Parameters<Registry['registerMetric']>[0]>(metric: M): M => {
    registry.registerMetric(metric)
    return metric
  }
  const stats = options.stats

  /** A metric whose values are set from the stats at each scrape. */
  const fromStats = <T extends 'counter' | 'gauge'>(
    type: T,
    name: string,
    help: string,
    labelNames: readonly string[],
    fill: (set: (labels: Record<string, string>, value: number) => void, s: GatewayStats) => void,
  ): void => {
    if (type === 'counter') {
      add(
        new Counter({
          name,
          help,
          labelNames,
          registers,
          collect() {
            this.reset()
            const s = stats()
            if (s) fill((labels, value) => this.inc(labels, value), s)
          },
        }),
      )
    } else {
      add(
        new Gauge({
          name,
          help,
          labelNames,
          registers,
          collect() {
            this.reset()
            const s = stats()
            if (s) fill((labels, value) => this.set(labels, value), s)
          },
        }),
      )
    }
  }
  add(
    new Counter({
      name: 'restgate_http_requests_total',
      help: 'HTTP answers of the connectors\' servers by connector, configured endpoint ("none" when no endpoint matched) and status.',
      labelNames: ['connector', 'endpoint', 'status'],
      registers,
      collect() {
        this.reset()
        for (const [connector, endpoints] of responses) {
          for (const [endpoint, statuses] of endpoints) {
            for (const [status, n] of statuses) this.inc({ connector, endpoint: endpoint || 'none', status: String(status) }, n)
          }
        }
      },
    }),
  )
  fromStats(
    'gauge',
    'restgate_http_requests_in_flight',
    'Requests being handled now (including those waiting for an answer from ThingsBoard).',
    ['connector'],
    perConnector((c) => c.ingest.inFlight),
  )
  fromStats(
    'counter',
    'restgate_records_received_total',
    'Device records accepted from HTTP requests into the outbox.',
    ['connector'],
    perConnector((c) => c.ingest.records),
  )
  fromStats(
    'counter',
    'restgate_datapoints_accepted_total',
    'Datapoints (attributes + telemetry values) accepted into the outbox.',
    ['connector'],
    perConnector((c) => c.ingest.datapoints),
  )
  fromStats(
    'counter',
    'restgate_datapoints_dropped_total',
    'Datapoints the converter dropped (listed in the answer\'s "dropped").',
    ['connector'],
    perConnector((c) => c.ingest.droppedDatapoints),
  )

  fromStats(
    'gauge',
    'restgate_outbox_records',
    'Records in the outbox by state: queued, in_flight (published, not confirmed), ack_pending (confirmed, removal pending).',
    ['state'],
    (set, s) => {
      set({ state: 'queued' }, s.tb.queued)
      set({ state: 'in_flight' }, s.tb.inFlight)
      set({ state: 'ack_pending' }, s.tb.ackPending)
    },
  )
  // labelled so that it is absent (not 0) for storage types that do not count bytes
  fromStats('gauge', 'restgate_outbox_bytes', 'Bytes stored in the outbox, by storage type (only types that count bytes: sqlite).', ['storage'], (set, s) => {
    const bytes = (s.tb.storage as { bytes?: unknown }).bytes
    if (typeof bytes === 'number') set({ storage: s.tb.storage.kind }, bytes)
  })
  fromStats(
    'counter',
    'restgate_outbox_dropped_total',
    'Records or datapoints lost in the outbox: dropped by the full policy, expired, or not serialisable.',
    [],
    (set, s) => set({}, s.tb.dropped),
  )
  fromStats('counter', 'restgate_mqtt_messages_published_total', 'MQTT messages to ThingsBoard confirmed (PUBACK at QoS 1), data and control.', [], (set, s) =>
    set({}, s.tb.published),
  )
  fromStats('counter', 'restgate_records_acknowledged_total', 'Records confirmed by ThingsBoard and removed from the outbox.', [], (set, s) =>
    set({}, s.tb.acked),
  )
  fromStats('counter', 'restgate_records_resent_total', 'Records published again after a failed attempt (possible duplicates at ThingsBoard).', [], (set, s) =>
    set({}, s.tb.resent),
  )
  fromStats('gauge', 'restgate_thingsboard_connected', '1 when connected to ThingsBoard, else 0.', [], (set, s) => set({}, s.tb.connected ? 1 : 0))
  fromStats('counter', 'restgate_thingsboard_connect_attempts_total', 'Connection attempts to ThingsBoard since start.', [], (set, s) =>
    set({}, s.tb.connectAttempts),
  )
  add(
    new Counter({
      name: 'restgate_thingsboard_reconnects_total',
      help: 'Connections to ThingsBoard made after the first one.',
      registers,
      collect() {
        this.reset()
        this.inc(Math.max(0, options.connection().connects - 1))
      },
    }),
  )
  add(
    new Counter({
      name: 'restgate_thingsboard_disconnects_total',
      help: 'Connections to ThingsBoard that ended.',
      registers,
      collect() {
        this.reset()
        this.inc(options.connection().disconnects)
      },
    }),
  )
  fromStats(
    'gauge',
    'restgate_downlink_requests_in_flight',
    'Downlink HTTP requests being sent now.',
    ['connector'],
    perConnector((c) => c.dispatcher.inFlight),
  )
  fromStats(
    'counter',
    'restgate_downlink_retries_total',
    'Downlink tries beyond the first.',
    ['connector'],
    perConnector((c) => c.dispatcher.retries),
  )
  fromStats(
    'counter',
    'restgate_rpc_replies_total',
    'RPC replies published to ThingsBoard.',
    ['connector'],
    perConnector((c) => c.dispatcher.replies),
  )
  fromStats(
    'counter',
    'restgate_rpc_reply_failures_total',
    'RPC replies that could not be published.',
    ['connector'],
    perConnector((c) => c.dispatcher.replyFailures),
  )

  const downlink = add(
    new Counter({
      name: 'restgate_downlink_requests_total',
      help: 'Downlink HTTP requests (attribute updates and RPCs) by connector, kind, rule and outcome (ok or the failure kind: http, timeout, network, ...).',
      labelNames: ['connector', 'kind', 'rule', 'outcome'],
      registers,
    }),
  )
  const rpcSeconds = add(
    new Histogram({
      name: 'restgate_rpc_duration_seconds',
      help: 'Duration of the HTTP request of a server-side RPC (all its tries), by connector.',
      labelNames: ['connector'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  )

  const observer: GatewayObserver = {
    response(connector, endpoint, status) {
      let endpoints = responses.get(connector)
      if (endpoints === undefined) responses.set(connector, (endpoints = new Map()))
      let statuses = endpoints.get(endpoint)
      if (statuses === undefined) endpoints.set(endpoint, (statuses = new Map()))
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    },
    dispatched(kind, connector, report) {
      for (const r of report.requests) {
        downlink.inc({ connector, kind, rule: r.rule, outcome: r.ok ? 'ok' : (r.failure?.kind ?? 'error') })
        if (kind === 'rpc') rpcSeconds.observe({ connector }, r.durationMs / 1000)
      }
    },
  }

  return {
    registry,
    observer,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
  }
}
