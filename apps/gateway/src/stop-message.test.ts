import { describe, expect, it } from 'vitest'
import { stopMessage } from './stop-message.ts'

const base = { signal: 'SIGTERM', flushTimeoutMs: 5_000 } as const

describe('stopMessage', () => {
  it('connected: says it flushes, how many and for how long', () => {
    expect(stopMessage({ ...base, connected: true, undelivered: 42, storage: 'memory' })).toEqual({
      level: 'info',
      message: 'SIGTERM: stopping; flushing up to 42 records to ThingsBoard for up to 5 s, what is left then is lost (memory storage)',
    })
    expect(stopMessage({ ...base, connected: true, undelivered: 1, storage: 'sqlite', flushTimeoutMs: 2_500 }).message).toBe(
      'SIGTERM: stopping; flushing up to 1 record to ThingsBoard for up to 2.5 s, what is left then stays in sqlite storage for the next start',
    )
    expect(stopMessage({ ...base, connected: true, undelivered: 0, storage: 'file' }).message).toBe('SIGTERM: stopping; the outbox is empty')
  })

  it('not connected, memory: warns that the records will be lost', () => {
    expect(stopMessage({ ...base, signal: 'SIGINT', connected: false, undelivered: 7, storage: 'memory' })).toEqual({
      level: 'warn',
      message: 'SIGINT: stopping; ThingsBoard is not connected, so 7 records in memory storage will be lost',
    })
  })

  it('not connected, durable: says the records stay stored, without promising a flush', () => {
    for (const storage of ['file', 'sqlite'] as const) {
      const m = stopMessage({ ...base, connected: false, undelivered: 3, storage })
      expect(m).toEqual({
        level: 'info',
        message: `SIGTERM: stopping; ThingsBoard is not connected, so 3 records stay in ${storage} storage for the next start`,
      })
      expect(m.message).not.toMatch(/flush/)
    }
    expect(stopMessage({ ...base, connected: false, undelivered: 0, storage: 'memory' })).toEqual({
      level: 'info',
      message: 'SIGTERM: stopping; ThingsBoard is not connected, no records are waiting',
    })
  })
})
