import { logFnOf } from '@restgate/core'
import { expect, test } from 'vitest'
import { LogLimiter } from './_log-limiter.ts'

function capture(): { lines: Array<[string, string, Record<string, unknown> | undefined]>; logger: Parameters<typeof newLimiter>[0] } {
  const lines: Array<[string, string, Record<string, unknown> | undefined]> = []
  const at = (level: string) => logFnOf((msg, data) => void lines.push([level, msg, data]))
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } }
}

const newLimiter = (logger: ConstructorParameters<typeof LogLimiter>[0], maxKeys?: number): LogLimiter =>
  new LogLimiter(logger, { intervalMs: 3_600_000, ...(maxKeys === undefined ? {} : { maxKeys }) })

test('the first event of a key is logged at once, the rest counted into one summary line per flush', () => {
  const { lines, logger } = capture()
  const limiter = newLimiter(logger)
  for (let i = 0; i < 1000; i++)
    limiter.report('warn', 'a', 'authentication failed', { endpoint: '/x', source: '10.0.0.1', i }, { endpoint: '/x', source: '10.0.0.1' })
  limiter.report('warn', 'b', 'authentication failed', { endpoint: '/x', source: '10.0.0.2' }, { endpoint: '/x', source: '10.0.0.2' })
  expect(lines).toEqual([
    ['warn', 'authentication failed', { endpoint: '/x', source: '10.0.0.1', i: 0 }],
    ['warn', 'authentication failed', { endpoint: '/x', source: '10.0.0.2' }],
  ])
  limiter.flush()
  expect(lines.slice(2)).toEqual([
    ['warn', 'authentication failed: 999 more like this', { endpoint: '/x', source: '10.0.0.1', count: 999, intervalSeconds: 3600 }],
  ])
  // a new interval: the next event is logged at once again; an empty flush writes nothing
  limiter.flush()
  limiter.report('info', 'a', 'authentication failed', { n: 1 }, {})
  expect(lines).toHaveLength(4)
  limiter.flush()
  expect(lines).toHaveLength(4)
})

test('at most maxKeys keys per interval; the others are counted in one overflow line (bounded memory under a flood of sources)', () => {
  const { lines, logger } = capture()
  const limiter = newLimiter(logger, 3)
  for (let i = 0; i < 10_000; i++) limiter.report('warn', `k${i}`, 'refused', {}, {})
  expect(lines).toHaveLength(3)
  limiter.flush()
  expect(lines.slice(3)).toEqual([['warn', expect.stringContaining('9997 more refused requests'), { count: 9997, intervalSeconds: 3600 }]])
})

test('the summary comes by itself after the interval (an unref-ed timer)', async () => {
  const { lines, logger } = capture()
  const limiter = new LogLimiter(logger, { intervalMs: 20 })
  limiter.report('warn', 'a', 'refused', {}, { endpoint: '/x' })
  limiter.report('warn', 'a', 'refused', {}, { endpoint: '/x' })
  await expect.poll(() => lines.length, { timeout: 10_000 }).toBe(2)
  expect(lines[1]).toEqual(['warn', 'refused: 1 more like this', { endpoint: '/x', count: 1, intervalSeconds: 0.02 }])
})
