/**
 * One MQTT connection (CONNACK to close). Tracks every publish until it is confirmed, so that a
 * closed connection fails them all at once (mqtt.js keeps QoS 1 callbacks pending across a plain
 * close), and holds QoS 1 publishes in a FIFO beyond ThingsBoard's in-flight limit (order is kept).
 */
import type { MqttClient } from 'mqtt'
import { TbClientError } from '../errors.ts'
import { DeviceLru } from './_device-lru.ts'

interface Item {
  topic: string
  payload: string
  qos: 0 | 1
  resolve(): void
  reject(error: Error): void
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
  setMaxInflight(max: number | undefined): void
  /** Tears the connection down (no DISCONNECT packet); pending publishes fail. */
  close(reason: string): void
  /** Sends DISCONNECT and closes; pending publishes fail. */
  end(): Promise<void>
}

const noop = (): void => {}

export function createSession(client: MqttClient, id: number, connectedAt: number, maxKnownDevices: number): Session {
  const pending = new Set<Item>()
  const queue: Item[] = []
  let inflight = 0
  let maxInflight = Number.POSITIVE_INFINITY
  let closed = false
  let closeReason: string | undefined

  const closedError = (): TbClientError =>
    new TbClientError('NOT_CONNECTED', `connection to ThingsBoard closed before confirmation: ${closeReason ?? 'unknown reason'}`)

  function issue(item: Item): void {
    pending.add(item)
    if (item.qos === 1) inflight++
    client.publish(item.topic, item.payload, { qos: item.qos }, (error) => {
      if (!pending.delete(item)) return
      if (item.qos === 1) {
        inflight--
        drain()
      }
      if (error) {
        item.reject(new TbClientError('PUBLISH_FAILED', `publish to ${item.topic} failed: ${error.message}`, { cause: error }))
      } else item.resolve()
    })
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
    for (const item of items) item.reject(error)
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
      if (closed) return Promise.reject(closedError())
      const p = new Promise<void>((resolve, reject) => {
        const item: Item = { topic, payload, qos, resolve, reject }
        if (qos === 1 && (queue.length > 0 || inflight >= maxInflight)) queue.push(item)
        else issue(item)
      })
      p.catch(noop)
      return p
    },

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
