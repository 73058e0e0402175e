/**
 * In-process aedes broker on 127.0.0.1 for integration tests: records every publish with its
 * client id, can stop and restart on the same port, optional auth, optional TLS, and can hold or
 * drop PUBACKs (aedes writes the PUBACK only after `authorizePublish` calls back).
 */
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { Aedes, type AuthenticateError } from 'aedes'
import { vi } from 'vitest'

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
  /** Accept or refuse a CONNECT (refused → CONNACK 4 "bad username or password"). */
  authenticate?: (username: string | undefined, password: string | undefined, clientId: string) => boolean
  /** Serve MQTT over TLS. `requestCert` with `ca` asks for (and requires) a client certificate. */
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
  /** Closes the listener and every connection; the port stays reserved for restart(). */
  stop(): Promise<void>
  restart(): Promise<void>
  close(): Promise<void>
}

export async function startBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const publishes: RecordedPublish[] = []
  const attempts: ConnectAttempt[] = []
  const listeners = new Set<(p: RecordedPublish) => void>()
  let held: Array<() => void> = []
  let hold = false
  let drop = false
  let aedes: Aedes
  let server: Server
  let port = 0
  const sockets = new Set<Socket>()
  const subscribed = new Set<string>()
  let clientAcks = 0

  async function listen(): Promise<void> {
    aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const ok = options.authenticate?.(username, password?.toString('utf8'), client.id) ?? true
        attempts.push({ at: Date.now(), clientId: client.id, username, accepted: ok })
        if (ok) return done(null, true)
        const error = new Error('bad credentials') as AuthenticateError
        error.returnCode = 4
        done(error, null)
      },
      authorizePublish: (client, packet, callback) => {
        if (client === null) return callback(null)
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload)
        const record: RecordedPublish = {
          clientId: client.id,
          topic: packet.topic,
          payload,
          qos: packet.qos,
          json: () => JSON.parse(payload),
        }
        publishes.push(record)
        for (const l of listeners) l(record)
        if (packet.qos === 0) return callback(null)
        if (drop) return
        if (hold) held.push(() => callback(null))
        else callback(null)
      },
    })
    subscribed.clear()
    aedes.on('ack', () => {
      clientAcks++
    })
    aedes.on('subscribe', (subs) => {
      for (const sub of subs) subscribed.add(sub.topic)
    })
    const onConnection = (socket: Socket): void => {
      socket.setNoDelay(true)
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
      aedes.handle(socket)
    }
    server = options.tls
      ? createTlsServer(
          {
            key: options.tls.key,
            cert: options.tls.cert,
            ...(options.tls.ca !== undefined ? { ca: options.tls.ca } : {}),
            requestCert: options.tls.requestCert ?? false,
            rejectUnauthorized: options.tls.requestCert ?? false,
          },
          onConnection,
        )
      : createNetServer(onConnection)
    server.on('tlsClientError', () => {})
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    port = (server.address() as AddressInfo).port
  }

  async function stop(): Promise<void> {
    held = []
    for (const s of sockets) s.destroy()
    sockets.clear()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
  }

  await listen()
  let running = true
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
      for (const cb of release) cb()
    },
    dropPubacks(value) {
      drop = value
    },
    heldCount: () => held.length,
    onPublish(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    publish(topic, payload) {
      const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload)
      return new Promise<void>((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(body), qos: 1, retain: false, dup: false }, (error) => (error ? reject(error) : resolve()))
      })
    },
    connectedClients: () => aedes.connectedClients,
    acksFromClients: () => clientAcks,
    subscribed,
    async stop() {
      if (!running) return
      running = false
      await stop()
    },
    async restart() {
      if (running) await stop()
      await listen()
      running = true
    },
    async close() {
      if (!running) return
      running = false
      await stop()
    },
  }
}

/** `vi.waitFor` on a condition: polls `check` every 5 ms until it returns true; fails after `timeoutMs` naming `what`. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!check()) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    },
    { timeout: timeoutMs, interval: 5 },
  )
}
