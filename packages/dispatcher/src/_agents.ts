/**
 * undici connections (one per slot of the per-origin limit) per TLS setup, and the certificate files
 * they need. undici is loaded on the first request (~0.15 s of CPU a gateway start without downlink
 * does not pay).
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import type { OutboundSecurity } from '@restgate/config'
import type { Agent, Client, Dispatcher as UndiciDispatcher } from 'undici'
import { DispatcherError } from './errors.ts'

/** PEM contents for a client certificate (`security.type: cert`) and/or a CA to trust. */
export interface TlsMaterial {
  cert?: Buffer
  key?: Buffer
  ca?: Buffer
}

function resolveFile(file: string, configDir: string): string {
  const expanded = file === '~' || file.startsWith('~/') ? homedir() + file.slice(1) : file
  return resolve(configDir, expanded)
}

/**
 * Reads the PEM files of a `cert` security section (paths relative to the config folder, `~`
 * expanded). A `cert` without `key` uses the cert file for both (a combined PEM).
 *
 * @throws {DispatcherError} `DISPATCHER_TLS_FILES` naming the config path and the file.
 */
export async function loadTlsMaterial(security: OutboundSecurity, configDir: string, path: string): Promise<TlsMaterial | undefined> {
  if (security.type !== 'cert') return undefined
  const read = async (field: 'cert' | 'key' | 'ca', file: string): Promise<Buffer> => {
    const full = resolveFile(file, configDir)
    try {
      return await readFile(full)
    } catch (e) {
      const reason = (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e))
      throw new DispatcherError('DISPATCHER_TLS_FILES', `${path}.security.${field}: cannot read "${full}" (${reason})`, {
        path: `${path}.security.${field}`,
        cause: e,
      })
    }
  }
  const settled = await Promise.allSettled([
    read('cert', security.cert),
    security.key === undefined ? undefined : read('key', security.key),
    security.ca === undefined ? undefined : read('ca', security.ca),
  ])
  // several unreadable files: always report the first in field order (cert, key, ca), not whichever failed first
  const failure = settled.find((r) => r.status === 'rejected')
  if (failure !== undefined) throw failure.reason
  const [cert, key, ca] = settled.map((r) => (r as PromiseFulfilledResult<Buffer | undefined>).value)
  return { cert: cert as Buffer, key: key ?? (cert as Buffer), ...(ca === undefined ? {} : { ca }) }
}

/** How a rule's connections are made: certificate checks and client TLS material. */
export interface TlsSetup {
  sslVerify: boolean
  tls: TlsMaterial | undefined
  /** Identifies `tls` (its file paths); '' without client TLS material. */
  key: string
}

export interface ConnectionPool {
  /**
   * The connection of slot `slot` (0 ≤ slot < connectionsPerOrigin, from the origin limiter) of
   * `origin`, for `setup`: one undici `Client`, which has at most one socket at any time and opens a
   * new one only after its previous socket is closed. With `followRedirects`, undici's redirect
   * interceptor on top (hops to the same origin stay on this connection, other origins use a shared
   * agent of the same setup). The holder of the slot is the only user of the connection.
   */
  connection(setup: TlsSetup, origin: string, slot: number, followRedirects: boolean): UndiciDispatcher | Promise<UndiciDispatcher>
  close(): Promise<void>
  /** Aborts every connection now. */
  destroy(): Promise<void>
}

/** Origins whose connections are kept while idle; beyond this, idle ones are closed when a new origin comes. */
const KEPT_ORIGINS = 64
/** An origin's connections count as idle once unused for this long (and with no request on them). */
const IDLE_MS = 1_000

interface SlotConnection {
  setupId: string
  client: Client
  /** `client` behind the redirect interceptor, made on first use. */
  following?: UndiciDispatcher
}

interface OriginConnections {
  slots: Array<SlotConnection | undefined>
  lastUsed: number
}

type Undici = typeof import('undici')

interface Loaded {
  undici: Undici
  /** Sends to the slot's own connection, or (a redirect to another origin) to the setup's agent. */
  SlotRouter: new (origin: string, own: UndiciDispatcher, other: () => UndiciDispatcher) => UndiciDispatcher
}

let loaded: Promise<Loaded> | undefined
let ready: Loaded | undefined

function loadUndici(): Promise<Loaded> {
  loaded ??= import('undici').then((undici) => {
    class SlotRouter extends undici.Dispatcher {
      readonly #origin: string
      readonly #own: UndiciDispatcher
      readonly #other: () => UndiciDispatcher
      constructor(origin: string, own: UndiciDispatcher, other: () => UndiciDispatcher) {
        super()
        this.#origin = origin
        this.#own = own
        this.#other = other
      }
      override dispatch(options: UndiciDispatcher.DispatchOptions, handler: UndiciDispatcher.DispatchHandler): boolean {
        const origin = options.origin === undefined ? this.#origin : typeof options.origin === 'string' ? options.origin : options.origin.origin
        return (origin === this.#origin ? this.#own : this.#other()).dispatch(options, handler)
      }
      override close(): Promise<void> {
        return Promise.resolve()
      }
      override destroy(): Promise<void> {
        return Promise.resolve()
      }
    }
    ready = { undici, SlotRouter }
    return ready
  })
  return loaded
}

function openSlot(u: Loaded, setup: TlsSetup, id: string, origin: string): SlotConnection {
  return { setupId: id, client: new u.undici.Client(origin, { connect: connectOptions(setup) }) }
}

function setupId(setup: TlsSetup): string {
  return `${setup.sslVerify ? 'verify' : 'noverify'}|${setup.key}`
}

function connectOptions(setup: TlsSetup): Record<string, unknown> {
  return {
    rejectUnauthorized: setup.sslVerify,
    ...(setup.tls?.cert === undefined ? {} : { cert: setup.tls.cert }),
    ...(setup.tls?.key === undefined ? {} : { key: setup.tls.key }),
    ...(setup.tls?.ca === undefined ? {} : { ca: setup.tls.ca }),
  }
}

/**
 * Per origin, `connectionsPerOrigin` connections, one per slot of the origin limiter: the number of
 * sockets open to an origin can never exceed the limit, aborted tries included (an aborted try's
 * socket is destroyed by undici, and its slot's next request connects only after that socket has
 * closed). undici's Agent cannot give this: it drops an origin's Pool when its count of connected
 * sockets reaches 0 (a count that sockets still connecting, and events of an already dropped Pool,
 * make wrong) and opens a new Pool beside the one still closing.
 */
export function createConnectionPool(connectionsPerOrigin: number): ConnectionPool {
  const origins = new Map<string, OriginConnections>()
  /** Agents for redirect hops to other origins, per setup. */
  const agents = new Map<string, Agent>()
  const agentOf = (u: Loaded, setup: TlsSetup, id: string): Agent => {
    let agent = agents.get(id)
    if (agent === undefined) {
      agent = new u.undici.Agent({ connections: connectionsPerOrigin, connect: connectOptions(setup) })
      agents.set(id, agent)
    }
    return agent
  }
  const evictIdle = (now: number): void => {
    for (const [origin, entry] of origins) {
      if (now - entry.lastUsed < IDLE_MS) continue
      if (entry.slots.some((s) => s !== undefined && s.client.stats.size > 0)) continue
      origins.delete(origin)
      for (const s of entry.slots) void s?.client.destroy().catch(() => undefined)
    }
  }
  const wrap = (u: Loaded, slot: SlotConnection, setup: TlsSetup, origin: string, followRedirects: boolean): UndiciDispatcher => {
    if (!followRedirects) return slot.client
    slot.following ??= new u.SlotRouter(origin, slot.client, () => agentOf(u, setup, slot.setupId)).compose(
      u.undici.interceptors.redirect({ maxRedirections: 20 }),
    )
    return slot.following
  }
  const connect = (u: Loaded, setup: TlsSetup, origin: string, slot: number, followRedirects: boolean): UndiciDispatcher | Promise<UndiciDispatcher> => {
    const now = Date.now()
    let entry = origins.get(origin)
    if (entry === undefined) {
      if (origins.size >= KEPT_ORIGINS) evictIdle(now)
      entry = { slots: [], lastUsed: now }
      origins.set(origin, entry)
    }
    entry.lastUsed = now
    const id = setupId(setup)
    const current = entry.slots[slot]
    if (current !== undefined && current.setupId === id) return wrap(u, current, setup, origin, followRedirects)
    const next = openSlot(u, setup, id, origin)
    entry.slots[slot] = next
    if (current === undefined) return wrap(u, next, setup, origin, followRedirects)
    // the slot's connection was made for another TLS setup: it goes before the new one connects
    return current.client.destroy().then(
      () => wrap(u, next, setup, origin, followRedirects),
      () => wrap(u, next, setup, origin, followRedirects),
    )
  }
  return {
    connection(setup, origin, slot, followRedirects) {
      if (ready !== undefined) return connect(ready, setup, origin, slot, followRedirects)
      return loadUndici().then((u) => connect(u, setup, origin, slot, followRedirects))
    },
    async close() {
      const all = [...origins.values()].flatMap((e) => e.slots.filter((s) => s !== undefined).map((s) => s.client.close()))
      origins.clear()
      await Promise.all([...all, ...[...agents.values()].map((a) => a.close())])
      agents.clear()
    },
    async destroy() {
      const all = [...origins.values()].flatMap((e) => e.slots.filter((s) => s !== undefined).map((s) => s.client.destroy()))
      origins.clear()
      await Promise.all([...all, ...[...agents.values()].map((a) => a.destroy())])
      agents.clear()
    },
  }
}
