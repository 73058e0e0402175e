/**
 * Composition: one tb-client (outbox + MQTT), and per REST connector one ingest server and one
 * dispatcher. The three packages never import each other; this file wires them through the sink
 * (ingest → tb-client) and the event source / publisher (tb-client ↔ dispatcher).
 *
 * RPCs to the gateway device itself (`v1/devices/me/rpc/request/{id}`) are routed by the method's
 * prefix as in the original: `rest_get`/`rest_set` go to a rule-less dispatcher of the first REST
 * connector (it understands them and replies through its publisher, here the gateway's response
 * topic), `gateway_ping` is answered here, anything else gets a 404 error reply.
 */
import { join } from 'node:path'
import type { RestConnectorConfig } from '@restgate/config'
import { createDispatcher, type DispatchReport, type Dispatcher, type DispatcherStats } from '@restgate/dispatcher'
import { createIngestServer, type IngestServer, type IngestSink, type IngestStats } from '@restgate/ingest'
import { createTbClient, tbClientDefaults, type TbClient, type TbClientStats } from '@restgate/tb-client'
import { createAttributeWaiters } from './attribute-waiters.ts'
import type { LoadedGateway } from './load-config.ts'
import type { GatewayLogger } from './logger.ts'
import { openGatewayStorage } from './storage.ts'
import { createReloader, type ReloadReport } from './reload.ts'

export interface GatewayOptions {
  config: LoadedGateway
  logger: GatewayLogger
  /**
   * Folder for files restgate generates (self-signed certificates).
   * @default '<folder of tb_gateway.json>/data'
   */
  dataDir?: string
  /** Hooks for metrics; called on the request path, so they must be cheap and must not throw. */
  observer?: GatewayObserver
}

/** What the gateway tells an observer (the admin endpoint's metrics) as it happens. */
export interface GatewayObserver {
  /** One answer of a connector's HTTP server (`endpoint` is `''` when no endpoint matched). */
  response?(connector: string, endpoint: string, status: number): void
  /** A downlink event was dispatched (every request it made is in `report.requests`). */
  dispatched?(kind: 'attributeUpdate' | 'rpc', connector: string, report: DispatchReport): void
}

/** Counters of every part, read on demand (collect-on-scrape). */
export interface GatewayStats {
  /** The outbox storage opened and the gateway is not stopped. */
  storageOpen: boolean
  tb: TbClientStats
  connectors: Array<{ name: string; ingest: IngestStats; dispatcher: DispatcherStats }>
}

export interface GatewayEndpoint {
  connector: string
  url: string
}

export interface Gateway {
  start(): Promise<{ endpoints: GatewayEndpoint[] }>
  /** Stops accepting requests, flushes the outbox for up to `flushTimeoutMs`, disconnects. */
  stop(options?: { flushTimeoutMs?: number }): Promise<void>
  /**
   * Applies a new, validated config to the running gateway (see reload.ts): mappings, converters
   * and downlink rules swap, connectors start and stop; what needs a restart is reported, not applied.
   * Rejects (changing nothing) when a part of the new config cannot be built or listen.
   */
  reload(next: LoadedGateway): Promise<ReloadReport>
  readonly tb: TbClient
  stats(): GatewayStats
}

/** Device name the rule-less dispatcher sees for connector RPCs (`${deviceName}` in a `rest_get` URL). */
const GATEWAY_DEVICE = 'gateway'
/** The connector type of every connector this gateway runs: the prefix of its connector RPC methods. */
const CONNECTOR_PREFIX = 'rest'

/** One running REST connector; reload.ts swaps its parts in place. */
export interface Connector {
  config: RestConnectorConfig
  sink: IngestSink
  ingest: IngestServer
  dispatcher: Dispatcher
}

/**
 * Resolves when the dispatcher has taken (or dropped) the message: the tb-client then sends its
 * PUBACK. One reaction per message (an RPC can wait long for its reply's PUBACK in a flood, and
 * every promise and closure here is held that long per RPC).
 */
const admitted = (start: (hooks: { onAdmitted(): void }) => Promise<unknown>, onError: (error: unknown) => void): Promise<void> =>
  new Promise<void>((resolve) => {
    const done = (): void => resolve()
    start({ onAdmitted: done }).then(done, (error: unknown) => {
      onError(error)
      resolve()
    })
  })

export function createGateway(options: GatewayOptions): Gateway {
  const { gateway, connectors: connectorConfigs } = options.config
  const log = options.logger
  const dataDir = options.dataDir ?? join(gateway.configDir, 'data')
  const tbc = gateway.thingsboard
  const storage = openGatewayStorage(gateway.storage, log.child('storage'))
  const tb = createTbClient({
    host: tbc.host,
    port: tbc.port,
    qos: tbc.qos,
    keepAlive: tbc.keepAlive,
    security: tbc.security,
    tls: tbc.tls,
    insecure: tbc.insecure,
    maxPayloadSizeBytes: tbc.maxPayloadSizeBytes,
    minPackSendDelayMS: tbc.minPackSendDelayMS,
    reannounceAfterMs: tbc.reannounceAfterMs,
    readRecordsCount: gateway.storage.readRecordsCount,
    // downlink flow control: an attribute update's / RPC's PUBACK waits until a dispatcher has room for it
    holdAcks: true,
    storage,
    logger: log.child('thingsboard'),
  })
  const waiters = createAttributeWaiters()
  /**
   * Which connector a device's data came from, so its RPCs go to that connector's rules first.
   * Bounded like the tb-client's device state (least recently seen forgotten first): a forgotten
   * device's RPC goes to the first connector whose rules match it, as for a device never seen.
   */
  const deviceOwner = new Map<string, Connector>()
  const maxOwners = tbClientDefaults.maxKnownDevices
  const own = (device: string, connector: Connector): void => {
    deviceOwner.delete(device)
    deviceOwner.set(device, connector)
    if (deviceOwner.size > maxOwners) deviceOwner.delete(deviceOwner.keys().next().value as string)
  }

  /** `connect` the device now, so that ThingsBoard routes its downlink to this instance (never fails the request). */
  const announce = (device: string): void => {
    tb.announce(device).catch((error: unknown) => log.debug({ device, error: String(error) }, 'announce failed'))
  }

  const ingestOf = (connector: Connector, config: RestConnectorConfig): IngestServer => {
    const observer = options.observer
    const onResponse = observer?.response ? (endpoint: string, status: number): void => observer.response!(config.name, endpoint, status) : undefined
    return createIngestServer({
      config,
      sink: connector.sink,
      dataDir,
      logger: log.child(`rest:${config.name}`),
      connectorName: config.name,
      ...(onResponse ? { onResponse } : {}),
    })
  }
  /**
   * An RPC reply counts as sent once the tb-client has taken it (it keeps it until ThingsBoard's
   * PUBACK and sends it again after a reconnect), not at the PUBACK: in a flood that PUBACK comes
   * behind everything the broker queued for us, and tens of thousands of replies wait for it. The
   * tb-client's `queue…Reply` holds each as one small object (no promise, no closure per reply).
   * A reply the client refuses at once (stopped, invalid) is the dispatcher's failure; one lost
   * later (offline queue full, stop; the tb-client logs it) is counted with the connector's reply
   * failures (`stats()`, the metrics) through one `onLost` per connector.
   */
  const lostReplies = new Map<string, number>()
  const lostCounter = (connector: string) => (): void => {
    lostReplies.set(connector, (lostReplies.get(connector) ?? 0) + 1)
  }
  const taken = (queue: () => void): Promise<void> => {
    try {
      queue()
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error)
    }
  }
  const dispatcherOf = (config: RestConnectorConfig): Dispatcher => {
    const onLost = lostCounter(config.name)
    return createDispatcher({
      config,
      publisher: { replyRpc: (device, id, data) => taken(() => tb.queueRpcReply(device, id, data, onLost)) },
      logger: log.child(`rest:${config.name}`).child('downlink'),
    })
  }
  const connectorOf = (config: RestConnectorConfig): Connector => {
    const connector = {} as Connector
    const sink: IngestSink = {
      accept(records, meta) {
        if (connectors.length > 1) for (const r of records) own(r.deviceName, connector)
        return tb.send(records, meta)
      },
      // Announce first: with several instances behind a load balancer, the device's downlink (the
      // answer waited for) goes to whichever instance connected it last (docs/SCALE-OUT.md).
      requestAttributes: (request, timeoutMs) => (announce(request.device), tb.requestAttributes(request, timeoutMs)),
      waitForAttribute: (device, key, timeoutMs, signal) => (announce(device), waiters.wait(device, key, timeoutMs, signal)),
    }
    connector.config = config
    connector.sink = sink
    connector.ingest = ingestOf(connector, config)
    connector.dispatcher = dispatcherOf(config)
    return connector
  }
  const connectors: Connector[] = connectorConfigs.map(connectorOf)

  /** The dispatch, reported to the observer when there is one (no extra reaction per message otherwise). */
  const observed = (kind: 'attributeUpdate' | 'rpc', connector: string, dispatch: Promise<DispatchReport>): Promise<unknown> => {
    const observer = options.observer
    if (observer?.dispatched === undefined) return dispatch
    return dispatch.then((report) => observer.dispatched?.(kind, connector, report))
  }

  tb.on('attributeUpdate', (event) => {
    waiters.deliver(event.device, event.data)
    return Promise.all(
      connectors.map((c) =>
        admitted(
          (hooks) => observed('attributeUpdate', c.config.name, c.dispatcher.onAttributeUpdate(event, hooks)),
          (error) => log.error({ connector: c.config.name, device: event.device, error: String(error) }, 'attribute update failed'),
        ),
      ),
    )
  })

  /** Connector RPCs addressed to the gateway: the reserved rest_get / rest_set need no rule. */
  const connectorRpcOf = (first: RestConnectorConfig | undefined): Dispatcher | undefined => {
    if (first === undefined) return undefined
    const onGatewayReplyLost = lostCounter(first.name)
    return createDispatcher({
      config: { ...first, attributeUpdates: [], serverSideRpc: [] },
      publisher: { replyRpc: (_device, id, data) => taken(() => tb.queueGatewayRpcReply(id, data, onGatewayReplyLost)) },
      logger: log.child(`rest:${first.name}`).child('gateway-rpc'),
      // rest_get / rest_set are governed by tb_gateway.json's restRpc, not by the connector's reservedRpc
      reservedRpc: gateway.restRpc ?? { enabled: true, allow: [], configKey: 'restRpc (tb_gateway.json)' },
    })
  }
  let connectorRpc = connectorRpcOf(connectors[0]?.config)

  function replyGateway(id: number, data: unknown): void {
    tb.replyGatewayRpc(id, data).catch((error: unknown) => {
      log.error({ id, error: String(error) }, 'gateway RPC reply could not be published')
    })
  }

  tb.on('gatewayRpc', (event) => {
    const { id, method } = event
    if (method === 'gateway_ping') return replyGateway(id, { code: 200, resp: 'pong' })
    const rpc = { device: GATEWAY_DEVICE, data: { id, method, params: event.params } }
    if (connectorRpc !== undefined && connectorRpc.matchesRpc(rpc)) {
      const dispatcher = connectorRpc
      return admitted(
        (hooks) => observed('rpc', connectors[0]?.config.name ?? '', dispatcher.onRpc(rpc, hooks)),
        (error) => {
          log.error({ method, id, error: String(error) }, 'gateway RPC failed')
          replyGateway(id, { error: `gateway RPC "${method}" failed: ${error instanceof Error ? error.message : String(error)}`, code: 500 })
        },
      )
    }
    const prefix = method.includes('_') ? method.slice(0, method.indexOf('_')) : undefined
    const message =
      prefix === CONNECTOR_PREFIX && connectorRpc !== undefined
        ? `the REST connector has no RPC method "${method}" (it has ${CONNECTOR_PREFIX}_get and ${CONNECTOR_PREFIX}_set)`
        : `no connector handles the gateway RPC method "${method}" (this gateway answers gateway_ping${connectorRpc ? `, ${CONNECTOR_PREFIX}_get and ${CONNECTOR_PREFIX}_set` : ''})`
    log.warn({ id }, message)
    replyGateway(id, { error: message, code: 404 })
  })

  tb.on('rpc', (event) => {
    const owner = deviceOwner.get(event.device)
    const target =
      (owner && owner.dispatcher.matchesRpc(event) ? owner : undefined) ?? connectors.find((c) => c.dispatcher.matchesRpc(event)) ?? owner ?? connectors[0]
    if (!target) return undefined
    return admitted(
      (hooks) => observed('rpc', target.config.name, target.dispatcher.onRpc(event, hooks)),
      (error) => log.error({ connector: target.config.name, device: event.device, error: String(error) }, 'rpc failed'),
    )
  })

  let started = false
  let stopped = false
  let storageOpen = false
  const reloader = createReloader({
    config: options.config,
    connectors,
    log,
    connectorOf,
    ingestOf,
    dispatcherOf,
    connectorRpcOf,
    connectorRpc: () => connectorRpc,
    setConnectorRpc: (d) => (connectorRpc = d),
    forget: (c) => {
      for (const [device, owner] of deviceOwner) if (owner === c) deviceOwner.delete(device)
    },
    running: () => started && !stopped,
  })
  return {
    tb,
    reload: (next) => reloader.reload(next),
    stats() {
      return {
        storageOpen,
        tb: tb.stats(),
        connectors: connectors.map((c) => {
          const dispatcher = c.dispatcher.stats()
          // replies lost after the tb-client took them count as reply failures too
          const lost = lostReplies.get(c.config.name) ?? 0
          return {
            name: c.config.name,
            ingest: c.ingest.stats(),
            dispatcher: lost === 0 ? dispatcher : { ...dispatcher, replyFailures: dispatcher.replyFailures + lost },
          }
        }),
      }
    },
    async start() {
      if (started) throw new Error('gateway already started')
      started = true
      // every converter (custom extensions too) is loaded before anything connects
      try {
        await Promise.all([...connectors.map((c) => c.dispatcher.ready()), ...connectors.map((c) => c.ingest.ready()), connectorRpc?.ready()])
      } catch (error) {
        await Promise.allSettled([...connectors.map((c) => c.dispatcher.close()), connectorRpc?.close()])
        await tb.stop({ flushTimeoutMs: 0 })
        throw error
      }
      // The storage first (a durable one may fail: unwritable folder, ...): a gateway that cannot
      // store anything must not connect to ThingsBoard at all.
      try {
        await tb.ready()
        storageOpen = true
      } catch (error) {
        await tb.stop({ flushTimeoutMs: 0 })
        throw error
      }
      tb.start()
      const endpoints: GatewayEndpoint[] = []
      try {
        for (const c of connectors) {
          const { url } = await c.ingest.listen()
          endpoints.push({ connector: c.config.name, url })
        }
      } catch (error) {
        await Promise.allSettled(connectors.map((c) => c.ingest.close()))
        await tb.stop({ flushTimeoutMs: 0 })
        throw error
      }
      return { endpoints }
    },
    async stop(opts = {}) {
      const flushTimeoutMs = opts.flushTimeoutMs ?? 5_000
      stopped = true
      await reloader.idle()
      await Promise.allSettled(connectors.map((c) => c.ingest.close()))
      waiters.cancelAll('gateway stopping')
      await Promise.allSettled([...connectors.map((c) => c.dispatcher.close()), connectorRpc?.close()])
      await tb.stop({ flushTimeoutMs })
      storageOpen = false
    },
  }
}
