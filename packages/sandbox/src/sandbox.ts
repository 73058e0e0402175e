import type { Client, PublishPacket } from 'aedes'
import { startBroker, type RunningBroker } from './_broker.ts'
import { formatEvent, formatMessage } from './_format.ts'
import { GATEWAY_RPC_DEVICE, handleUplink, type ApiContext } from './_gateway-api.ts'
import { startHttpView, type HttpView } from './_http-view.ts'
import { createPendingRpcs } from './_pending.ts'
import { createRecorder, type DeviceRecord } from './_recorder.ts'
import { createWaiters } from './_waiters.ts'
import { SandboxError } from './errors.ts'
import { resolveBehaviour, resolveOptions, type ResolvedBehaviour, type SandboxOptions } from './options.ts'
import type { MessageKind, RecordedMessage, Sandbox, SandboxAddress, SandboxState } from './types.ts'

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}

function checkName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new SandboxError('INVALID_ARGUMENT', `sandbox: ${what} must be a non-empty string`)
  return value
}

function checkObject(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SandboxError('INVALID_ARGUMENT', `sandbox: ${what} must be an object`)
  return value as Record<string, unknown>
}

function packet(topic: string, payload: Buffer): PublishPacket {
  return { cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }
}

/** A local stand-in for ThingsBoard's MQTT Gateway API on an in-process aedes broker. */
export function createSandbox(options?: SandboxOptions): Sandbox {
  const opts = resolveOptions(options)
  const { logger } = opts
  let behaviour: ResolvedBehaviour = opts
  const recorder = createRecorder(opts.maxMessages, options?.maxTelemetryPerDevice)
  const waiters = createWaiters<SandboxState>(() => recorder.state)
  const pending = createPendingRpcs()
  const sessions = new WeakMap<Client, number>()
  const liveClients = new Map<string, number>()
  /** Access token (MQTT username) of each client, from its CONNECT. */
  const usernames = new WeakMap<Client, string | undefined>()
  /** Connected clients by session: a device's owner is the live client of the session that connected it. */
  const liveSessions = new Map<number, Client>()
  const timers = new Set<NodeJS.Timeout>()
  let sessionCounter = 0
  let mqttPort = opts.port
  let httpPort = opts.httpPort
  let broker: RunningBroker | undefined
  let http: HttpView | undefined
  let address: SandboxAddress | undefined
  let starting: Promise<SandboxAddress> | undefined

  function line(text: string): void {
    if (!opts.log) return
    try {
      opts.log(text)
    } catch (error) {
      logger.error({ error: String(error) }, 'sandbox: the log callback threw')
    }
  }

  function sessionOf(client: Client): number {
    let s = sessions.get(client)
    if (s === undefined) sessions.set(client, (s = ++sessionCounter))
    return s
  }

  /** The HTTP view's live log. */
  const messageListeners = new Set<(message: RecordedMessage) => void>()

  function recorded(message: RecordedMessage, notes: string[] = []): void {
    if (opts.log) line(formatMessage(message, notes))
    for (const listener of messageListeners) listener(message)
    waiters.notify()
  }

  function recordDown(clientId: string | null, topic: string, payload: unknown, kind: MessageKind, devices: string[]): Buffer {
    const raw = JSON.stringify(payload)
    recorded(recorder.record({ time: Date.now(), direction: 'down', clientId, topic, kind, qos: 1, raw, payload, malformed: false, devices }))
    return Buffer.from(raw)
  }

  const api: ApiContext = {
    recorder,
    behaviour: () => behaviour,
    sessionOf,
    answer(client, topic, payload, kind, devices) {
      const bytes = recordDown(client.id, topic, payload, kind, devices)
      client.publish(packet(topic, bytes), (error) => {
        if (error) logger.debug({ clientId: client.id, topic, error: error.message }, 'sandbox: answer not delivered')
      })
    },
    settleRpc: (device, id, data) => pending.settle(device, id, data),
    later(ms, fn) {
      const t = setTimeout(() => {
        timers.delete(t)
        fn()
      }, ms)
      timers.add(t)
    },
    recorded,
    logger,
  }

  async function openTransport(): Promise<SandboxAddress> {
    const running = await startBroker(opts.host, mqttPort, {
      authenticate(username, client) {
        usernames.set(client, username)
        return !opts.accessTokens || (username !== undefined && opts.accessTokens.has(username))
      },
      onPublish: (client, p) => handleUplink(api, client, p),
      onClientReady(client) {
        kickOlderSessions(client)
        liveSessions.set(sessionOf(client), client)
        liveClients.set(client.id, sessionOf(client))
        recorder.state.clients.set(client.id, { id: client.id, connectedAt: Date.now() })
        logger.info({ clientId: client.id }, 'sandbox: MQTT client connected')
        line(formatEvent(Date.now(), `${client.id} connected`))
        waiters.notify()
      },
      onClientGone(client) {
        const session = sessionOf(client)
        if (liveSessions.get(session) === client) liveSessions.delete(session)
        recorder.sessionEnded(session)
        if (liveClients.get(client.id) === session) {
          liveClients.delete(client.id)
          recorder.state.clients.delete(client.id)
        }
        logger.info({ clientId: client.id }, 'sandbox: MQTT client disconnected')
        line(formatEvent(Date.now(), `${client.id} disconnected`))
        waiters.notify()
      },
      onRefused(client) {
        recorder.state.refusedConnections++
        logger.warn({ clientId: client.id }, 'sandbox: refused an MQTT client: missing or unknown access token (username)')
        line(formatEvent(Date.now(), `${client.id} refused: missing or unknown access token`))
        waiters.notify()
      },
      // ThingsBoard never hands one gateway's messages to another: a client with a token gets none.
      mayForward: (client) => usernames.get(client) === undefined,
      logger,
    })
    mqttPort = running.port
    let view: HttpView | undefined
    if (httpPort !== false) {
      try {
        view = await startHttpView(opts.host, httpPort, {
          state: () => recorder.state,
          messages: () => recorder.recent(),
          sendRpc: (device, method, params, timeoutMs) => sandbox.sendRpc(device, method, params, { timeoutMs }),
          sendAttributeUpdate: (device, data) => sandbox.sendAttributeUpdate(device, data),
          mqttUrl: () => address?.mqttUrl ?? '',
          logger,
          onMessage(listener) {
            messageListeners.add(listener)
            return () => messageListeners.delete(listener)
          },
          ...(options?.try ? { try: options.try } : {}),
        })
      } catch (error) {
        await running.close()
        throw error
      }
      httpPort = view.port
    }
    broker = running
    http = view
    const host = urlHost(opts.host)
    address = {
      mqttUrl: `mqtt://${host}:${running.port}`,
      port: running.port,
      ...(view ? { httpUrl: `http://${host}:${view.port}`, httpPort: view.port } : {}),
    }
    logger.info({ ...address }, 'sandbox: listening')
    return address
  }

  async function closeTransport(): Promise<void> {
    for (const t of timers) clearTimeout(t)
    timers.clear()
    const b = broker
    const h = http
    broker = undefined
    http = undefined
    address = undefined
    await Promise.all([b?.close(), h?.close()])
    // Every session is over, whatever events the broker emitted while closing.
    for (const session of liveClients.values()) recorder.sessionEnded(session)
    liveClients.clear()
    liveSessions.clear()
    recorder.state.clients.clear()
    waiters.notify()
  }

  /** ThingsBoard keeps one session per device credentials: a newer CONNECT with the same token closes the older one. */
  function kickOlderSessions(client: Client): void {
    const token = usernames.get(client)
    if (token === undefined) return
    for (const [session, other] of liveSessions) {
      // same client id: aedes itself closes the older session (an MQTT takeover, not a kick)
      if (other === client || other.id === client.id || other.closed || usernames.get(other) !== token) continue
      liveSessions.delete(session)
      recorder.state.kickedSessions++
      logger.info({ clientId: other.id, newClientId: client.id }, 'sandbox: closed an older MQTT session with the same access token')
      line(formatEvent(Date.now(), `${other.id} closed: ${client.id} connected with the same access token`))
      other.close()
    }
  }

  /** The live client of the session that owns `device`, if any. */
  function ownerClient(device: string): Client | undefined {
    const d = recorder.state.devices.get(device) as DeviceRecord | undefined
    if (!d?.connected || d.session === undefined) return undefined
    return liveSessions.get(d.session)
  }

  function requireBroker(): RunningBroker {
    if (!broker) throw new SandboxError('NOT_STARTED', 'sandbox: not started (call start() first)')
    return broker
  }

  /** Publishes to every subscriber; resolves once the broker dispatched it. A publish cut short by stop()
   * or restart() resolves too (the message is recorded; like a ThingsBoard whose gateway went offline). */
  function publish(topic: string, payload: unknown, kind: MessageKind, device: string): Promise<void> {
    const b = requireBroker()
    // Downlink for a device goes to the gateway that owns it only (as ThingsBoard routes it). Clients without a
    // token are not told apart (they all get it, as from a plain broker).
    const owner = ownerClient(device)
    if (owner !== undefined && usernames.get(owner) !== undefined) {
      const raw = recordDown(owner.id, topic, payload, kind, [device])
      return new Promise((resolve) => {
        owner.publish(packet(topic, raw), (error) => {
          if (error) logger.debug({ clientId: owner.id, topic, error: error.message }, 'sandbox: downlink not delivered, the owning gateway went away')
          resolve()
        })
      })
    }
    if (owner === undefined && opts.unownedDownlink === 'none') {
      recordDown(null, topic, payload, kind, [device])
      logger.debug({ device, topic }, 'sandbox: downlink for a device no gateway owns, not sent (unownedDownlink: none)')
      return Promise.resolve()
    }
    const bytes = recordDown(null, topic, payload, kind, [device])
    return new Promise((resolve, reject) => {
      b.broker.publish(packet(topic, bytes), (error) => {
        if (!error) return resolve()
        if (broker !== b) {
          logger.debug({ topic, error: error.message }, 'sandbox: publish cut short by stop/restart')
          return resolve()
        }
        reject(new SandboxError('STOPPED', `sandbox: publish on ${topic} failed: ${error.message}`, { cause: error }))
      })
    })
  }

  const sandbox: Sandbox = {
    start() {
      if (address) return Promise.resolve(address)
      starting ??= openTransport().finally(() => {
        starting = undefined
      })
      return starting
    },
    async stop() {
      if (starting) await starting.catch(() => undefined)
      const stopped = new SandboxError('STOPPED', 'sandbox: stopped')
      pending.rejectAll(stopped)
      waiters.rejectAll(stopped)
      await closeTransport()
    },
    async restart() {
      if (starting) await starting.catch(() => undefined)
      await closeTransport()
      return sandbox.start()
    },
    get state() {
      return recorder.state
    },
    get address() {
      return address
    },
    waitFor(predicate, timeoutMs = 5000) {
      return waiters.add(predicate, timeoutMs)
    },
    async sendAttributeUpdate(device, data) {
      checkName('device', device)
      checkObject('attribute update data', data)
      requireBroker()
      recorder.setAttributes(device, { shared: data })
      await publish('v1/gateway/attributes', { device, data }, 'attributeUpdate', device)
    },
    async sendRpc(device, method, params, rpcOptions) {
      checkName('device', device)
      checkName('RPC method', method)
      const timeoutMs = rpcOptions?.timeoutMs ?? opts.rpcTimeoutMs
      requireBroker()
      const id = pending.nextId()
      const reply = pending.wait(device, id, method, timeoutMs)
      const data = { id, method, params: params === undefined ? {} : params }
      publish('v1/gateway/rpc', { device, data }, 'rpcRequest', device).catch((error: unknown) => {
        pending.fail(device, id, error instanceof Error ? error : new Error(String(error)))
      })
      return reply
    },
    sendGatewayRpc(method, params, rpcOptions) {
      checkName('RPC method', method)
      const timeoutMs = rpcOptions?.timeoutMs ?? opts.rpcTimeoutMs
      const b = requireBroker()
      const id = pending.nextId()
      const reply = pending.wait(GATEWAY_RPC_DEVICE, id, method, timeoutMs)
      const topic = `v1/devices/me/rpc/request/${id}`
      const bytes = recordDown(null, topic, { method, params: params === undefined ? {} : params }, 'gatewayRpcRequest', [])
      b.broker.publish(packet(topic, bytes), (error) => {
        if (error) pending.fail(GATEWAY_RPC_DEVICE, id, new SandboxError('STOPPED', `sandbox: publish on ${topic} failed: ${error.message}`, { cause: error }))
      })
      return reply
    },
    ownerOf(device) {
      const client = ownerClient(device)
      return client === undefined ? undefined : { clientId: client.id, token: usernames.get(client) }
    },
    setAttributes(device, scopes) {
      checkName('device', device)
      if (scopes.shared !== undefined) checkObject('shared attributes', scopes.shared)
      if (scopes.client !== undefined) checkObject('client attributes', scopes.client)
      recorder.setAttributes(device, scopes)
      waiters.notify()
    },
    configure(change) {
      behaviour = resolveBehaviour(change, behaviour)
    },
    messages(filter) {
      const all = recorder.recent()
      if (!filter) return all
      return all.filter(
        (m) =>
          (filter.topic === undefined || m.topic === filter.topic) &&
          (filter.kind === undefined || m.kind === filter.kind) &&
          (filter.direction === undefined || m.direction === filter.direction) &&
          (filter.device === undefined || m.devices.includes(filter.device)),
      )
    },
    clear(clearOptions) {
      recorder.clear(clearOptions)
      waiters.notify()
    },
  }
  return sandbox
}
