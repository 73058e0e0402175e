import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from './memory.ts'
import { testStorageBackend } from './conformance.ts'
import type { StoredRecord } from './types.ts'

const rec = (i: number): StoredRecord => ({ deviceName: 'd', deviceType: 't', attributes: { i }, receivedAt: 0 })

testStorageBackend('memory', async (o) => createMemoryStorage({ maxRecords: o.maxRecords, fullPolicy: o.fullPolicy, ttlMs: o.ttlMs, now: o.now }))

describe('createMemoryStorage', () => {
  it('rejects a non-positive capacity with INVALID_OPTIONS', () => {
    expect(() => createMemoryStorage({ maxRecords: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
  })

  it('refuses use after close with STORAGE_CLOSED', async () => {
    const s = createMemoryStorage()
    await s.close()
    await expect(s.put([])).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
  })

  it('keeps order across many reads, releases and compactions', async () => {
    const s = createMemoryStorage({ maxRecords: 10_000 })
    await s.put(Array.from({ length: 5000 }, (_, i) => rec(i)))
    const acked: number[] = []
    let reads = 0
    for (;;) {
      const batch = await s.read(300)
      if (batch.length === 0) break
      if (++reads % 3 === 0) {
        s.release(batch.map((e) => e.id))
        continue
      }
      await s.ack(batch.map((e) => e.id))
      acked.push(...batch.map((e) => e.record.attributes?.['i'] as number))
    }
    expect(acked).toEqual(Array.from({ length: 5000 }, (_, i) => i))
    expect(s.size()).toBe(0)
  })
})
