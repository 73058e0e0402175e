import { logFnOf } from '@restgate/core'
import { onTestFinished } from 'vitest'
import { createTbClient } from '../src/client/client.ts'
import type { TbClientOptions } from '../src/client/options.ts'
import type { TbClient } from '../src/client/types.ts'
import type { Logger } from '../src/logger.ts'
import { startTestBroker, waitUntil, type TestBroker, type TestBrokerOptions } from './_broker.ts'

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  msg: string
  data?: Record<string, unknown>
}

export function createTestLogger(): Logger & { lines: LogLine[]; find(level: LogLine['level'], text: string): LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: LogLine['level']) =>
    logFnOf((msg, data) => {
      lines.push(data === undefined ? { level, msg } : { level, msg, data })
    })
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    find: (level, text) => lines.filter((l) => l.level === level && l.msg.includes(text)),
  }
}

/** A broker closed after the test. */
export async function broker(options?: TestBrokerOptions): Promise<TestBroker> {
  const b = await startTestBroker(options)
  onTestFinished(() => b.close())
  return b
}

/** A started client (stopped after the test) with fast reconnects and no session-limit request. */
export function client(b: TestBroker, options: Partial<TbClientOptions> = {}): TbClient & { log: ReturnType<typeof createTestLogger> } {
  const log = createTestLogger()
  const c = createTbClient({
    host: '127.0.0.1',
    port: b.port,
    security: { type: 'accessToken', accessToken: 'TOKEN' },
    reconnect: { initialMs: 20, maxMs: 200 },
    requestSessionLimits: false,
    logger: log,
    ...options,
  })
  onTestFinished(() => c.stop({ flushTimeoutMs: 0 }))
  c.start()
  return Object.assign(c, { log })
}

export const connectedOnce = (c: TbClient): Promise<void> =>
  new Promise((resolve) => {
    if (c.stats().connected) return resolve()
    const off = c.on('connect', () => {
      off()
      resolve()
    })
  })

/** Connected, and the broker has the client's subscriptions (SUBACK follows CONNACK). */
export async function subscribed(c: TbClient, b: TestBroker): Promise<void> {
  await connectedOnce(c)
  await waitUntil(() => b.subscribed.has('v1/gateway/rpc') && b.subscribed.has('v1/gateway/attributes/response'), 'the subscriptions')
}
