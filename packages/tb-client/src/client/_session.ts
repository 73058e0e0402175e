/**
 * One MQTT connection (CONNACK to close). Tracks every publish until it is confirmed, so that a
 * closed connection fails them all at once (mqtt.js keeps QoS 1 callbacks pending across a plain
 * close), and holds QoS 1 publishes in a FIFO beyond ThingsBoard's in-flight limit (order is kept).
 */
import type { MqttClient } from 'mqtt'
import { TbClientError } from '../errors.ts'
import { DeviceLru } from './_device-lru.ts'

/**
 * One publish as the session holds it until its PUBACK (QoS 1) or its write (QoS 0): `settle` is
 * called exactly once, without an error when confirmed. Callers that hold many (RPC replies in a
 * flood) implement it on a class, so a waiting publish costs one small object and its payload.
 */
export interface Outgoing {
  readonly topic: string
  readonly payload: string
  readonly qos: 0 | 1
  settle(error?: Error): void
}

/** `publish()`'s item: settles its promise. */
class PromisedPublish implements Outgoing {
  readonly topic: string
  readonly payload: string
  readonly qos: 0 | 1
  readonly #resolve: () => void
  readonly #reject: (error: Error) => void
  constructor(topic: string, payload: string, qos: 0 | 1, resolve: () => void, reject: (error: Error) => void) {
    this.topic = topic
    this.payload = payload
    this.qos = qos
    this.#resolve = resolve
    this.#reject = reject
  }
  settle(error?: Error): void {
    if (error === undefined) this.#resolve()
    else this.#reject(error)
  }
}

export interface Session {
  readonly id: number
  readonly connectedAt: number
  /** Devices `connect`ed in this session (forgotten with the session; the least recently used beyond the bound too). */
  readonly connectedDevices: DeviceLru
  readonly closed: boolean
  readonly closeReason: string | undefined
  /** Publishes in call order; resolves on PUBACK (QoS 1) or once written (QoS 0); rejects NOT_CONNECTED when the connection ends first. */
  publish(topic: string, payload: string, qos: 0 | 1): Promise<void>
  /** `publish` without a promise: `item.settle()` once confirmed, `item.settle(error)` if it fails or the connection ends first. */
  send(item: Outgoing): void
  setMaxInflight(max: number | undefined): void
  /** Tears the connection down (no DISCONNECT packet); pending publishes fail. */
  close(reason: string): void
  /** Sends DISCONNECT and closes; pending publishes fail. */
  end(): Promise<void>
}

const noop = (): void => {}

export function createSession(client: MqttClient, id: number, connectedAt: number, maxKnownDevices: number): Session {
  const pending = new Set<Outgoing>()
  const queue: Outgoing[] = []
  let inflight = 0
  let maxInflight = Number.POSITIVE_INFINITY
  let closed = false
  let closeReason: string | undefined

  const closedError = (): TbClientError =>
    new TbClientError('NOT_CONNECTED', `connection to ThingsBoard closed before confirmation: ${closeReason ?? 'unknown reason'}`)

  function issue(item: Outgoing): void {
    pending.add(item)
    if (item.qos === 1) inflight++
    client.publish(item.topic, item.payload, { qos: item.qos }, (error) => {
      if (!pending.delete(item)) return
      if (item.qos === 1) {
        inflight--
        drain()
      }
      item.settle(error ? new TbClientError('PUBLISH_FAILED', `publish to ${item.topic} failed: ${error.message}`, { cause: error }) : undefined)
    })
  }

  function send(item: Outgoing): void {
    if (closed) item.settle(closedError())
    else if (item.qos === 1 && (queue.length > 0 || inflight >= maxInflight)) queue.push(item)
    else issue(item)
  }

  function drain(): void {
    for (;;) {
      const next = queue[0]
      if (closed || next === undefined || inflight >= maxInflight) return
      queue.shift()
      issue(next)
    }
  }

  function failAll(): void {
    const error = closedError()
    const items = [...queue.splice(0), ...pending]
    pending.clear()
    for (const item of items) item.settle(error)
  }

  return {
    id,
    connectedAt,
    connectedDevices: new DeviceLru(maxKnownDevices),
    get closed() {
      return closed
    },
    get closeReason() {
      return closeReason
    },

    publish(topic, payload, qos) {
      const p = new Promise<void>((resolve, reject) => send(new PromisedPublish(topic, payload, qos, resolve, reject)))
      p.catch(noop)
      return p
    },

    send,

    setMaxInflight(max) {
      maxInflight = max !== undefined && max > 0 ? max : Number.POSITIVE_INFINITY
      drain()
    },

    close(reason) {
      if (closed) return
      closed = true
      closeReason = reason
      failAll()
      client.end(true)
    },

    end() {
      if (closed) return Promise.resolve()
      closed = true
      closeReason = 'client stopped'
      const unconfirmed = pending.size + queue.length
      failAll()
      if (unconfirmed > 0) {
        client.end(true)
        return Promise.resolve()
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          client.end(true)
          resolve()
        }, 1000)
        client.end(false, {}, () => {
          clearTimeout(timer)
          resolve()
        })
      })
    },
  }
}
