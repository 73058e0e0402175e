/**
 * Connection lifecycle: one mqtt.js client per attempt with its own reconnect OFF, and a capped
 * exponential backoff with jitter between attempts, so a refused connection (bad token) logs one
 * line per attempt and never busy-loops.
 */
import { MqttClient } from 'mqtt'
import type { Logger } from '../logger.ts'
import type { ResolvedOptions } from './options.ts'
import type { ParsedPayload } from './_inbound.ts'
import { LARGE_PAYLOAD_BYTES, parseLargeJson } from './_large-json.ts'
import { createSession, type Session } from './_session.ts'
import { createTransport, describeConnectError } from './_transport.ts'

export interface ConnectionHandlers {
  onSession(session: Session): void
  onSessionEnd(session: Session, reason: string): void
  /**
   * A returned promise holds the QoS 1 PUBACK of the message until it settles (inbound flow control).
   * `parsed`: the payload's JSON when it was large enough to be parsed in slices before.
   */
  onMessage(topic: string, payload: Buffer, parsed?: ParsedPayload): Promise<unknown> | undefined
  onError(error: Error, message: string): void
}

export interface Connection {
  start(): void
  stop(): Promise<void>
  current(): Session | undefined
  attempts(): number
  /** Milliseconds until the next attempt (0 when connected or connecting). */
  nextAttemptIn(): number
  lastError(): string | undefined
  /** QoS 1 PUBACKs held now (messages still being taken), and messages acked at once because `maxHeldAcks` was reached. */
  heldAcks(): { held: number; overflow: number }
}

/**
 * Topics ThingsBoard publishes to (subscribed on every CONNACK: clean sessions): the Gateway API and
 * RPCs addressed to the gateway device itself (connector and gateway methods).
 */
export const SUBSCRIPTIONS: readonly string[] = ['v1/gateway/attributes', 'v1/gateway/attributes/response', 'v1/gateway/rpc', 'v1/devices/me/rpc/request/+']

/** Inbound messages handled before the parser yields to the event loop once. */
const INBOUND_YIELD_EVERY = 32

/** A session that lasted this long resets the backoff. */
const STABLE_MS = 5000

export function backoffDelay(failures: number, initialMs: number, maxMs: number, random: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30))
  return Math.round(base * (0.5 + random * 0.5))
}

export function createConnection(o: ResolvedOptions, handlers: ConnectionHandlers, logger: Logger): Connection {
  let started = false
  let stopped = false
  let attempts = 0
  let failures = 0
  let sessions = 0
  let session: Session | undefined
  let client: MqttClient | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let nextAt = 0
  let lastError: string | undefined
  let heldAcks = 0
  let heldOverflow = 0
  const target = `${o.host}:${o.port}`

  function schedule(reason: string, wasConnected: boolean): void {
    if (stopped) return
    failures++
    const delay = backoffDelay(failures, o.reconnect.initialMs, o.reconnect.maxMs, Math.random())
    nextAt = Date.now() + delay
    if (wasConnected) logger.warn(`disconnected from ThingsBoard ${target}: ${reason}; reconnecting in ${delay} ms`)
    else logger.warn(`cannot connect to ThingsBoard ${target} (attempt ${attempts}): ${reason}; retrying in ${delay} ms`)
    timer = setTimeout(() => {
      timer = undefined
      void attempt()
    }, delay)
  }

  async function attempt(): Promise<void> {
    if (stopped) return
    attempts++
    nextAt = 0
    let transport
    try {
      transport = await createTransport(o)
    } catch (error) {
      lastError = describeConnectError(error)
      handlers.onError(error as Error, lastError)
      schedule(lastError, false)
      return
    }
    if (stopped) return
    let failure: string | undefined
    let done = false
    let mine: Session | undefined
    // A large QoS 1 message is parsed in slices (one per turn of the event loop) before mqtt.js
    // emits it: mqtt.js waits for `customHandleAcks` before the 'message' event and before it reads
    // the next packet, so messages keep their order. (QoS 0 messages are emitted at once: parsed whole.)
    const parsedLarge = new WeakMap<object, ParsedPayload>()
    const mc = new MqttClient(() => transport.createStream(), {
      customHandleAcks: (_topic, message, packet, ack) => {
        if (message.length < LARGE_PAYLOAD_BYTES) return ack(0)
        parseLargeJson(message.toString('utf8')).then(
          (value) => {
            parsedLarge.set(packet, { ok: true, value })
            ack(0)
          },
          () => {
            parsedLarge.set(packet, { ok: false })
            ack(0)
          },
        )
      },
      protocolVersion: o.protocolVersion,
      clean: true,
      keepalive: o.keepAlive,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs,
      resubscribe: false,
      queueQoSZero: false,
      ...(o.holdAcks && o.protocolVersion === 5 ? { properties: { receiveMaximum: Math.min(65535, o.maxHeldAcks) } } : {}),
      ...(transport.clientId !== undefined ? { clientId: transport.clientId } : {}),
      ...(transport.username !== undefined ? { username: transport.username } : {}),
      ...(transport.password !== undefined ? { password: transport.password } : {}),
    })
    client = mc
    mc.on('connect', () => {
      if (done || stopped) return
      sessions++
      mine = createSession(mc, sessions, Date.now(), o.maxKnownDevices)
      session = mine
      lastError = undefined
      logger.info({ session: sessions, tls: transport.tls }, `connected to ThingsBoard ${target}`)
      const topics: Record<string, { qos: 1 }> = {}
      for (const t of SUBSCRIPTIONS) topics[t] = { qos: 1 }
      if (o.requestSessionLimits) topics['v1/devices/me/rpc/response/+'] = { qos: 1 }
      // The session starts once the subscriptions are acknowledged, so an attribute update or RPC
      // that ThingsBoard sends right after `connect` is never missed.
      const current = mine
      mc.subscribe(topics, (error, granted) => {
        if (error) logger.warn(`subscribing to ThingsBoard topics failed: ${error.message}`)
        for (const g of granted ?? []) {
          if (g.qos === 128) logger.warn(`ThingsBoard refused the subscription to ${g.topic}`)
        }
        if (!done && !stopped && session === current) handlers.onSession(current)
      })
    })
    mc.on('error', (error) => {
      failure = describeConnectError(error)
      lastError = failure
      handlers.onError(error, failure)
    })
    // Inbound flow control: mqtt.js sends a QoS 1 PUBACK right after 'message' (through
    // `_sendPacket`); a PUBACK whose message is still being taken is held here instead, without
    // holding up the parser (so PUBACKs of our own publishes and PINGRESPs keep flowing). The
    // broker's in-flight window then keeps further messages at the broker.
    const held = new Map<number, Promise<unknown>>()
    const internals = mc as unknown as { _sendPacket(packet: { cmd: string; messageId?: number }, cb?: () => void, ...rest: unknown[]): void }
    const sendPacket = internals._sendPacket.bind(mc)
    internals._sendPacket = (packet, cb, ...rest) => {
      const hold = packet.cmd === 'puback' && packet.messageId !== undefined ? held.get(packet.messageId) : undefined
      if (hold === undefined) return sendPacket(packet, cb, ...rest)
      held.delete(packet.messageId as number)
      heldAcks++
      const release = (): void => {
        heldAcks--
        if (!done) sendPacket(packet)
      }
      hold.then(release, release)
      cb?.()
    }
    // A burst of inbound messages is parsed in one go by mqtt.js (one nextTick after another, never
    // yielding to I/O); every INBOUND_YIELD_EVERY messages the next one waits for setImmediate, so
    // HTTP requests and timers get their turn during a flood from ThingsBoard.
    let burst = 0
    mc.handleMessage = (_packet, callback) => {
      if (++burst < INBOUND_YIELD_EVERY) return callback()
      burst = 0
      setImmediate(callback)
    }
    mc.on('message', (topic, payload, packet) => {
      if (done) return
      const hold = handlers.onMessage(topic, payload, parsedLarge.get(packet))
      if (hold !== undefined && packet.qos === 1 && packet.messageId !== undefined) {
        if (heldAcks + held.size < o.maxHeldAcks) held.set(packet.messageId, hold)
        else heldOverflow++
      }
    })
    mc.on('close', () => {
      if (done) return
      done = true
      if (client === mc) client = undefined
      const s = mine
      const reason = s?.closeReason ?? failure ?? 'connection closed by the server'
      if (s !== undefined) {
        if (session === s) session = undefined
        s.close(reason)
        if (Date.now() - s.connectedAt >= STABLE_MS) failures = 0
        handlers.onSessionEnd(s, reason)
      } else {
        mc.end(true)
      }
      schedule(reason, s !== undefined)
    })
  }

  return {
    start() {
      if (started) return
      started = true
      void attempt()
    },
    async stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      const s = session
      const mc = client
      session = undefined
      if (s !== undefined) await s.end()
      else if (mc !== undefined) mc.end(true)
    },
    current: () => (session !== undefined && !session.closed ? session : undefined),
    attempts: () => attempts,
    nextAttemptIn: () => (nextAt === 0 ? 0 : Math.max(0, nextAt - Date.now())),
    lastError: () => lastError,
    heldAcks: () => ({ held: heldAcks, overflow: heldOverflow }),
  }
}
