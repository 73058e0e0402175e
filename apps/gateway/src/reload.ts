/**
 * Hot reload: applies a new, already validated config (tb_gateway.json + connector files) to the
 * running gateway, in two phases so that a failure changes nothing.
 *
 * 1. Prepare, while the old config keeps serving: per kept connector the new ingest routes and
 *    converters are built (`ingest.prepare`), a new dispatcher is made ready when its downlink rules
 *    changed; a connector whose listen address changed gets a new server listening on the new
 *    address; added connectors are built and listen. Any failure undoes what was prepared and
 *    rejects: the running config stays as it is.
 * 2. Commit (synchronous, nothing can fail): every prepared part is swapped in. Then the old parts
 *    are closed gracefully (requests in flight finish; removed and moved servers close their sockets
 *    as `stop()` does, old dispatchers let their requests finish), and servers whose new address a
 *    removed or moved connector held until then start listening.
 *
 * The outbox (tb-client) is never touched, so no record is lost; changes to `thingsboard` and
 * `storage`, and a TLS change on an unchanged address, are reported as needing a restart.
 */
import type { RestConnectorConfig } from '@restgate/config'
import type { Dispatcher } from '@restgate/dispatcher'
import type { IngestServer, PreparedUpdate } from '@restgate/ingest'
import type { Connector } from './gateway.ts'
import type { LoadedGateway } from './load-config.ts'
import type { GatewayLogger } from './logger.ts'

export interface ReloadReport {
  /** What changed and was applied, one sentence each (`connector "A": mapping updated (3 endpoints)`). */
  applied: string[]
  /** Changes left unapplied until the next restart, one sentence each, naming the settings (never their values). */
  restartNeeded: string[]
  /** Parts that failed after the commit (a new address taken by another process meanwhile); logged as errors. */
  failed: string[]
}

/** What the reloader needs of the gateway (gateway.ts owns all of it). */
export interface ReloadParts {
  config: LoadedGateway
  /** The gateway's own array: reload replaces its content in place (the event handlers read it). */
  connectors: Connector[]
  log: GatewayLogger
  connectorOf(config: RestConnectorConfig): Connector
  ingestOf(connector: Connector, config: RestConnectorConfig): IngestServer
  dispatcherOf(config: RestConnectorConfig): Dispatcher
  connectorRpcOf(first: RestConnectorConfig | undefined): Dispatcher | undefined
  connectorRpc(): Dispatcher | undefined
  setConnectorRpc(dispatcher: Dispatcher | undefined): void
  /** Forgets the devices owned by a removed connector. */
  forget(connector: Connector): void
  running(): boolean
}

export interface Reloader {
  reload(next: LoadedGateway): Promise<ReloadReport>
  /** Resolves when no reload runs (`stop()` waits for it). */
  idle(): Promise<void>
}

/** Settings of `server` fixed by the listening socket. */
const LISTEN_FIELDS = ['host', 'port', 'ssl', 'cert', 'key', 'clientCa'] as const
const TLS_FIELDS = ['ssl', 'cert', 'key', 'clientCa'] as const

/** JSON with RegExps (the compiled filters of the downlink rules) kept comparable. */
const text = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof RegExp ? `/${x.source}/${x.flags}` : x))
const same = (a: unknown, b: unknown): boolean => text(a) === text(b)

/** Top-level keys of two objects whose values differ. */
function changedKeys(a: object, b: object): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].filter((k) => !same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

const addressOf = (c: RestConnectorConfig): string => `${c.server.host}:${c.server.port}`
/** Port 0 (any free port) never collides. */
const fixedAddress = (c: RestConnectorConfig): string | undefined => (c.server.port === 0 ? undefined : addressOf(c))
const downlinkOf = (c: RestConnectorConfig): unknown => [c.attributeUpdates, c.serverSideRpc, c.configDir]

interface Plan {
  connector: Connector
  config: RestConnectorConfig
  update?: PreparedUpdate
  /** A new server for a changed address (listening already unless `deferred`). */
  server?: IngestServer
  deferred?: boolean
  dispatcher?: Dispatcher
  added?: boolean
}

export function createReloader(parts: ReloadParts): Reloader {
  let current = parts.config
  let queue: Promise<unknown> = Promise.resolve()

  async function apply(next: LoadedGateway): Promise<ReloadReport> {
    if (!parts.running()) throw new Error('the gateway is not running')
    const report: ReloadReport = { applied: [], restartNeeded: [], failed: [] }
    const restart = (what: string[], where: string): void => {
      if (what.length > 0) report.restartNeeded.push(`${where}${what.join(', ')} changed: restart restgate to apply ${what.length > 1 ? 'them' : 'it'}`)
    }
    // named as in tb_gateway.json (`keep_alive`, `max_records_count`), never with their values
    restart(
      changedKeys(current.gateway.thingsboard, next.gateway.thingsboard).map((k) => `thingsboard.${k === 'keepAlive' ? 'keep_alive' : k}`),
      '',
    )
    restart(
      changedKeys(current.gateway.storage, next.gateway.storage).map((k) => `storage.${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`),
      '',
    )

    const byName = new Map(parts.connectors.map((c) => [c.config.name, c]))
    const nextNames = new Set(next.connectors.map((c) => c.name))
    const removed = parts.connectors.filter((c) => !nextNames.has(c.config.name))
    /** Fixed addresses this reload frees: removed connectors', and moved connectors' old ones. */
    const freed = new Set(removed.map((c) => fixedAddress(c.config)).filter((a) => a !== undefined))
    for (const config of next.connectors) {
      const old = byName.get(config.name)?.config
      if (old && addressOf(old) !== addressOf(config) && fixedAddress(old)) freed.add(addressOf(old))
    }

    const plans: Plan[] = []
    const listening: IngestServer[] = []
    const readyDispatchers: Dispatcher[] = []
    let connectorRpc: Dispatcher | undefined
    try {
      for (const config of next.connectors) {
        const connector = byName.get(config.name)
        if (!connector) {
          const added = parts.connectorOf(config)
          const plan: Plan = { connector: added, config, server: added.ingest, dispatcher: added.dispatcher, added: true }
          plans.push(plan)
          readyDispatchers.push(added.dispatcher)
          await added.dispatcher.ready()
          plan.deferred = freed.has(addressOf(config))
          if (!plan.deferred) {
            listening.push(added.ingest)
            await added.ingest.listen()
          }
          continue
        }
        const old = connector.config
        if (same(old, config)) continue
        const plan: Plan = { connector, config }
        plans.push(plan)
        const where = `connector "${config.name}": `
        const tls = TLS_FIELDS.filter((f) => old.server[f] !== config.server[f])
        let served = config
        if (addressOf(old) !== addressOf(config)) {
          plan.server = parts.ingestOf(connector, config)
          plan.deferred = freed.has(addressOf(config))
          if (!plan.deferred) {
            listening.push(plan.server)
            await plan.server.listen()
          }
        } else {
          if (tls.length > 0) {
            restart(
              tls.map((f) => `server.${f}`),
              where,
            )
            // keep serving with the running TLS settings; the rest of the mapping applies
            served = { ...config, server: { ...config.server, ...Object.fromEntries(LISTEN_FIELDS.map((f) => [f, old.server[f]])) } }
          }
          plan.update = await connector.ingest.prepare(served)
        }
        plan.config = served
        if (!same(downlinkOf(old), downlinkOf(config))) {
          plan.dispatcher = parts.dispatcherOf(config)
          readyDispatchers.push(plan.dispatcher)
          await plan.dispatcher.ready()
        }
      }
      const first = next.connectors[0]
      if (!same(first, current.connectors[0])) {
        connectorRpc = parts.connectorRpcOf(first)
        if (connectorRpc) readyDispatchers.push(connectorRpc)
        await connectorRpc?.ready()
      }
    } catch (error) {
      await Promise.allSettled([...listening.map((s) => s.close()), ...readyDispatchers.map((d) => d.close())])
      throw error
    }

    // ---- commit: swaps only, nothing here can fail
    const oldServers: IngestServer[] = removed.map((c) => c.ingest)
    const oldDispatchers: Dispatcher[] = removed.map((c) => c.dispatcher)
    for (const plan of plans) {
      const { connector, config } = plan
      const where = `connector "${config.name}"`
      if (plan.added) {
        report.applied.push(`${where} added (${config.mapping.length} endpoint(s) at ${addressOf(config)})`)
        continue
      }
      const old = connector.config
      if (plan.server) {
        oldServers.push(connector.ingest)
        connector.ingest = plan.server
        report.applied.push(`${where}: moved from ${addressOf(old)} to ${addressOf(config)}`)
      }
      if (plan.update) {
        plan.update.apply()
        if (!same([old.mapping, old.attributeRequests, old.server.bodyLimit], [config.mapping, config.attributeRequests, config.server.bodyLimit])) {
          report.applied.push(
            `${where}: uplink mapping updated (${config.mapping.length} endpoint(s), ${config.attributeRequests.length} attribute request(s))`,
          )
        }
      }
      if (plan.dispatcher) {
        oldDispatchers.push(connector.dispatcher)
        connector.dispatcher = plan.dispatcher
        report.applied.push(
          `${where}: downlink rules updated (${config.attributeUpdates.length} attribute update(s), ${config.serverSideRpc.length} RPC rule(s))`,
        )
      }
      if (old.logLevel !== config.logLevel) restart(['logLevel'], `${where}: `)
      connector.config = config
    }
    const added = new Map(plans.filter((p) => p.added).map((p) => [p.config.name, p.connector]))
    parts.connectors.splice(0, parts.connectors.length, ...next.connectors.map((c) => (added.get(c.name) ?? byName.get(c.name)) as Connector))
    for (const c of removed) {
      parts.forget(c)
      report.applied.push(`connector "${c.config.name}" removed`)
    }
    if (connectorRpc !== undefined || next.connectors.length === 0) {
      const previous = parts.connectorRpc()
      parts.setConnectorRpc(connectorRpc)
      if (previous) oldDispatchers.push(previous)
    }
    current = { gateway: { ...next.gateway, thingsboard: current.gateway.thingsboard, storage: current.gateway.storage }, connectors: next.connectors }

    // ---- close the old parts gracefully, then listen where they were
    await Promise.allSettled([...oldServers.map((s) => s.close()), ...oldDispatchers.map((d) => d.close())])
    for (const plan of plans.filter((p) => p.deferred)) {
      try {
        await plan.server!.listen()
      } catch (error) {
        report.failed.push(`connector "${plan.config.name}": ${(error as Error).message}`)
      }
    }
    return report
  }

  return {
    reload(next) {
      const run = queue.then(() => apply(next))
      queue = run.catch(() => {})
      return run
    },
    idle: () => queue.then(() => {}),
  }
}
