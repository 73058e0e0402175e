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
import { createDispatcher, type Dispatcher } from '@restgate/dispatcher'
import { createIngestServer, type IngestServer, type IngestSink } from '@restgate/ingest'
import { createStorage, createTbClient, tbClientDefaults, type TbClient } from '@restgate/tb-client'
import { createAttributeWaiters } from './attribute-waiters.ts'
import type { LoadedGateway } from './load-config.ts'
import type { GatewayLogger } from './logger.ts'

export interface GatewayOptions {
  config: LoadedGateway
  logger: GatewayLogger
  /**
   * Folder for files restgate generates (self-signed certificates).
   * @default '<folder of tb_gateway.json>/data'
   */
  dataDir?: string
}

export interface GatewayEndpoint {
  connector: string
  url: string
}

export interface Gateway {
  start(): Promise<{ endpoints: GatewayEndpoint[] }>
  /** Stops accepting requests, flushes the outbox for up to `flushTimeoutMs`, disconnects. */
  stop(options?: { flushTimeoutMs?: number }): Promise<void>
  readonly tb: TbClient
}

/** Device name the rule-less dispatcher sees for connector RPCs (`${deviceName}` in a `rest_get` URL). */
const GATEWAY_DEVICE = 'gateway'
/** The connector type of every connector this gateway runs: the prefix of its connector RPC methods. */
const CONNECTOR_PREFIX = 'rest'

interface Connector {
  config: RestConnectorConfig
  ingest: IngestServer
  dispatcher: Dispatcher
}

export function createGateway(options: GatewayOptions): Gateway {
  const { gateway, connectors: connectorConfigs } = options.config
  const log = options.logger
  const dataDir = options.dataDir ?? join(gateway.configDir, 'data')
  const tbc = gateway.thingsboard
  const storage = createStorage(gateway.storage, log.child('storage'))
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
  const trackOwners = connectorConfigs.length > 1
  const own = (device: string, connector: Connector): void => {
    deviceOwner.delete(device)
    deviceOwner.set(device, connector)
    if (deviceOwner.size > maxOwners) deviceOwner.delete(deviceOwner.keys().next().value as string)
  }

  const connectors: Connector[] = connectorConfigs.map((config) => {
    const clog = log.child(`rest:${config.name}`)
    const connector = {} as Connector
    const sink: IngestSink = {
      accept(records, meta) {
        if (trackOwners) for (const r of records) own(r.deviceName, connector)
        return tb.send(records, meta)
      },
      requestAttributes: (request, timeoutMs) => tb.requestAttributes(request, timeoutMs),
      waitForAttribute: (device, key, timeoutMs, signal) => waiters.wait(device, key, timeoutMs, signal),
    }
    connector.config = config
    connector.ingest = createIngestServer({ config, sink, dataDir, logger: clog, connectorName: config.name })
    connector.dispatcher = createDispatcher({
      config,
      publisher: { replyRpc: (device, id, data) => tb.replyRpc(device, id, data) },
      logger: clog.child('downlink'),
    })
    return connector
  })

  /** Resolves when the dispatcher has taken (or dropped) the message: the tb-client then sends its PUBACK. */
  const admitted = (start: (hooks: { onAdmitted(): void }) => Promise<unknown>, onError: (error: unknown) => void): Promise<void> =>
    new Promise<void>((resolve) => {
      start({ onAdmitted: resolve }).catch(onError).finally(resolve)
    })

  tb.on('attributeUpdate', (event) => {
    waiters.deliver(event.device, event.data)
    return Promise.all(
      connectors.map((c) =>
        admitted(
          (hooks) => c.dispatcher.onAttributeUpdate(event, hooks),
          (error) => log.error('attribute update failed', { connector: c.config.name, device: event.device, error: String(error) }),
        ),
      ),
    )
  })

  /** Connector RPCs addressed to the gateway: the reserved rest_get / rest_set need no rule. */
  const first = connectors[0]
  const connectorRpc: Dispatcher | undefined =
    first &&
    createDispatcher({
      config: { ...first.config, attributeUpdates: [], serverSideRpc: [] },
      publisher: { replyRpc: (_device, id, data) => tb.replyGatewayRpc(id, data) },
      logger: log.child(`rest:${first.config.name}`).child('gateway-rpc'),
      // rest_get / rest_set are governed by tb_gateway.json's restRpc, not by the connector's reservedRpc
      reservedRpc: gateway.restRpc ?? { enabled: true, allow: [], configKey: 'restRpc (tb_gateway.json)' },
    })

  function replyGateway(id: number, data: unknown): void {
    tb.replyGatewayRpc(id, data).catch((error: unknown) => {
      log.error('gateway RPC reply could not be published', { id, error: String(error) })
    })
  }

  tb.on('gatewayRpc', (event) => {
    const { id, method } = event
    if (method === 'gateway_ping') return replyGateway(id, { code: 200, resp: 'pong' })
    const rpc = { device: GATEWAY_DEVICE, data: { id, method, params: event.params } }
    if (connectorRpc !== undefined && connectorRpc.matchesRpc(rpc)) {
      return admitted(
        (hooks) => connectorRpc.onRpc(rpc, hooks),
        (error) => {
          log.error('gateway RPC failed', { method, id, error: String(error) })
          replyGateway(id, { error: `gateway RPC "${method}" failed: ${error instanceof Error ? error.message : String(error)}`, code: 500 })
        },
      )
    }
    const prefix = method.includes('_') ? method.slice(0, method.indexOf('_')) : undefined
    const message =
      prefix === CONNECTOR_PREFIX && connectorRpc !== undefined
        ? `the REST connector has no RPC method "${method}" (it has ${CONNECTOR_PREFIX}_get and ${CONNECTOR_PREFIX}_set)`
        : `no connector handles the gateway RPC method "${method}" (this gateway answers gateway_ping${connectorRpc ? `, ${CONNECTOR_PREFIX}_get and ${CONNECTOR_PREFIX}_set` : ''})`
    log.warn(message, { id })
    replyGateway(id, { error: message, code: 404 })
  })

  tb.on('rpc', (event) => {
    const owner = deviceOwner.get(event.device)
    const target =
      (owner && owner.dispatcher.matchesRpc(event) ? owner : undefined) ??
      connectors.find((c) => c.dispatcher.matchesRpc(event)) ??
      owner ??
      connectors[0]
    if (!target) return undefined
    return admitted(
      (hooks) => target.dispatcher.onRpc(event, hooks),
      (error) => log.error('rpc failed', { connector: target.config.name, device: event.device, error: String(error) }),
    )
  })

  let started = false
  return {
    tb,
    async start() {
      if (started) throw new Error('gateway already started')
      started = true
      await Promise.all([...connectors.map((c) => c.dispatcher.ready()), connectorRpc?.ready()])
      // The storage first (a durable one may fail: unwritable folder, ...): a gateway that cannot
      // store anything must not connect to ThingsBoard at all.
      try {
        await tb.ready()
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
      await Promise.allSettled(connectors.map((c) => c.ingest.close()))
      waiters.cancelAll('gateway stopping')
      await Promise.allSettled([...connectors.map((c) => c.dispatcher.close()), connectorRpc?.close()])
      await tb.stop({ flushTimeoutMs })
    },
  }
}
