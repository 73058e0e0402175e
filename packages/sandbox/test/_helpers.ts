import { logFnOf } from '@restgate/core'
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt'
import { onTestFinished } from 'vitest'
import { createSandbox, type Logger, type Sandbox, type SandboxOptions } from '../src/index.ts'

/** Records warnings instead of printing them; tests may assert on them. */
export function quietLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return {
    warnings,
    debug() {},
    info() {},
    warn: logFnOf((msg) => void warnings.push(msg)),
    error: logFnOf((msg) => void warnings.push(msg)),
  }
}

/** A started sandbox on ephemeral ports, stopped after the test (`onTestFinished`: call it inside a test). */
export async function startSandbox(options: SandboxOptions = {}): Promise<{ sandbox: Sandbox; mqttUrl: string; httpUrl?: string; port: number }> {
  const sandbox = createSandbox({ port: 0, logger: quietLogger(), ...options })
  onTestFinished(() => sandbox.stop())
  const address = await sandbox.start()
  return { sandbox, ...address }
}

/** A real mqtt.js client (TCP_NODELAY set, no reconnects), ended after the test. */
export async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options })
  ;(client.stream as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true)
  onTestFinished(() => client.endAsync(true).catch(() => undefined))
  return client
}

/** Collects every message a client receives. */
export function inbox(client: MqttClient): Array<{ topic: string; payload: unknown; raw: string }> {
  const got: Array<{ topic: string; payload: unknown; raw: string }> = []
  client.on('message', (topic, payload) => {
    const raw = payload.toString('utf8')
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      parsed = undefined
    }
    got.push({ topic, payload: parsed, raw })
  })
  return got
}

/** Resolves with the next message on `topic` (bounded by the test timeout's own limit of 5 s). */
export function nextMessage(client: MqttClient, topic: string, timeoutMs = 5000): Promise<{ topic: string; payload: unknown; raw: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage)
      reject(new Error(`no message on ${topic} within ${timeoutMs} ms`))
    }, timeoutMs)
    function onMessage(t: string, payload: Buffer): void {
      if (t !== topic) return
      clearTimeout(timer)
      client.off('message', onMessage)
      const raw = payload.toString('utf8')
      resolve({ topic: t, payload: JSON.parse(raw) as unknown, raw })
    }
    client.on('message', onMessage)
  })
}

/** Publishes JSON (or raw text) at QoS 1 and waits for the PUBACK. */
export async function publish(client: MqttClient, topic: string, payload: unknown): Promise<void> {
  await client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 })
}
