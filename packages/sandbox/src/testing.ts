/**
 * `@restgate/sandbox/testing`: a plain in-process MQTT broker on 127.0.0.1 for an MQTT client's
 * integration tests, on the sandbox's own broker (`startBroker`). It records every publish with its
 * client id and every connect attempt, echoes like a plain broker, can stop and restart on the same
 * port, refuse logins (CONNACK 4), serve TLS, and hold or drop PUBACKs (aedes writes a PUBACK only
 * after `authorizePublish` calls back). No test framework is imported.
 */
import { silentLogger } from '@restgate/core'
import type { TlsOptions } from 'node:tls'
import { startBroker, type RunningBroker } from './_broker.ts'

/** CONNACK return code 4 ("bad username or password"), what a refused test login gets. */
const BAD_USERNAME_OR_PASSWORD = 4

export interface RecordedPublish {
  clientId: string
  topic: string
  payload: string
  qos: number
  json(): unknown
}

export interface ConnectAttempt {
  at: number
  clientId: string
  username: string | undefined
  accepted: boolean
}

export interface TestBrokerOptions {
  /** Accept or refuse a CONNECT (refused → CONNACK 4 "bad username or password"). Default: accept all. */
  authenticate?: (username: string | undefined, password: string | undefined, clientId: string) => boolean
  /** Serve MQTT over TLS. `requestCert` with `ca` asks for (and requires) a client certificate. Default: plain TCP. */
  tls?: { key: string; cert: string; ca?: string; requestCert?: boolean }
}

export interface TestBroker {
  readonly port: number
  readonly publishes: RecordedPublish[]
  readonly attempts: ConnectAttempt[]
  /** Publishes on a topic, in order. */
  on(topic: string): RecordedPublish[]
  /** PUBACKs wait until releasePubacks(). */
  holdPubacks(): void
  releasePubacks(): void
  /** PUBACKs are never sent while set (the messages still count as received). */
  dropPubacks(drop: boolean): void
  heldCount(): number
  /** Calls back for every publish received from a client. */
  onPublish(listener: (p: RecordedPublish) => void): () => void
  /** Publishes to subscribers (as ThingsBoard would). `payload` objects are sent as JSON. */
  publish(topic: string, payload: unknown): Promise<void>
  connectedClients(): number
  /** PUBACKs received from clients for the broker's QoS 1 deliveries (aedes 'ack'). */
  acksFromClients(): number
  /** Topic filters subscribed since the last (re)start. */
  readonly subscribed: Set<string>
  /** Closes the listener and every connection; the port is kept for restart(). */
  stop(): Promise<void>
  /** Listens again on the same port (after stop(), or stops first). */
  restart(): Promise<void>
  close(): Promise<void>
}

/** Starts a test broker on 127.0.0.1 on a port from the OS. */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const publishes: RecordedPublish[] = []
  const attempts: ConnectAttempt[] = []
  const listeners = new Set<(p: RecordedPublish) => void>()
  let held: Array<() => void> = []
  let hold = false
  let drop = false
  let port = 0
  const subscribed = new Set<string>()
  let clientAcks = 0
  const tls: TlsOptions | undefined = options.tls && {
    key: options.tls.key,
    cert: options.tls.cert,
    ...(options.tls.ca !== undefined ? { ca: options.tls.ca } : {}),
    requestCert: options.tls.requestCert ?? false,
    rejectUnauthorized: options.tls.requestCert ?? false,
  }

  async function listen(): Promise<RunningBroker> {
    const running = await startBroker('127.0.0.1', port, {
      authenticate(username, client, password) {
        const ok = options.authenticate?.(username, password, client.id) ?? true
        attempts.push({ at: Date.now(), clientId: client.id, username, accepted: ok })
        return ok
      },
      onPublish(client, packet) {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload)
        const record: RecordedPublish = { clientId: client.id, topic: packet.topic, payload, qos: packet.qos, json: () => JSON.parse(payload) }
        publishes.push(record)
        for (const l of listeners) l(record)
      },
      gatePublish() {
        if (drop) return new Promise<void>(() => {})
        if (!hold) return undefined
        return new Promise<void>((resolve) => held.push(resolve))
      },
      onClientReady() {},
      onClientGone() {},
      onRefused() {},
      mayForward: () => true,
      echo: true,
      refusedReturnCode: BAD_USERNAME_OR_PASSWORD,
      ...(tls ? { tls } : {}),
      logger: silentLogger,
    })
    port = running.port
    subscribed.clear()
    running.broker.on('ack', () => {
      clientAcks++
    })
    running.broker.on('subscribe', (subs) => {
      for (const sub of subs) subscribed.add(sub.topic)
    })
    return running
  }

  let running: RunningBroker | undefined = await listen()
  async function stop(): Promise<void> {
    if (!running) return
    const closing = running
    running = undefined
    // held PUBACKs are never sent (their connections are gone)
    held = []
    await closing.close()
  }
  const current = (): RunningBroker => {
    if (!running) throw new Error('test broker: stopped (call restart())')
    return running
  }

  return {
    get port() {
      return port
    },
    publishes,
    attempts,
    on: (topic) => publishes.filter((p) => p.topic === topic),
    holdPubacks() {
      hold = true
    },
    releasePubacks() {
      hold = false
      const release = held
      held = []
      for (const resolve of release) resolve()
    },
    dropPubacks(value) {
      drop = value
    },
    heldCount: () => held.length,
    onPublish(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async publish(topic, payload) {
      const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload)
      const broker = current().broker
      return new Promise<void>((resolve, reject) => {
        broker.publish({ cmd: 'publish', topic, payload: Buffer.from(body), qos: 1, retain: false, dup: false }, (error) => (error ? reject(error) : resolve()))
      })
    },
    connectedClients: () => running?.broker.connectedClients ?? 0,
    acksFromClients: () => clientAcks,
    subscribed,
    stop,
    async restart() {
      await stop()
      running = await listen()
    },
    close: stop,
  }
}
