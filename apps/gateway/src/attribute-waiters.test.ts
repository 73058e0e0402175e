import { describe, expect, it } from 'vitest'
import { createAttributeWaiters } from './attribute-waiters.ts'

describe('attribute waiters', () => {
  it('answers only the waiter of the same device and key', async () => {
    const w = createAttributeWaiters()
    const rr = w.wait('RR', 'result', 5_000)
    const other = w.wait('OTHER', 'result', 50)
    expect(w.deliver('RR-2', { result: 1 })).toBe(0)
    expect(w.deliver('RR', { unrelated: 1 })).toBe(0)
    expect(w.deliver('RR', { result: { ok: true } })).toBe(1)
    await expect(rr).resolves.toEqual({ ok: true })
    await expect(other).rejects.toMatchObject({ code: 'TIMEOUT' })
    expect(w.size()).toBe(0)
  })

  it('answers every waiter of the same device and key, then forgets them', async () => {
    const w = createAttributeWaiters()
    const a = w.wait('D', 'k', 5_000)
    const b = w.wait('D', 'k', 5_000)
    expect(w.size()).toBe(2)
    expect(w.deliver('D', { k: 'v' })).toBe(2)
    await expect(Promise.all([a, b])).resolves.toEqual(['v', 'v'])
    expect(w.deliver('D', { k: 'late' })).toBe(0)
  })

  it('stops waiting when the client goes away', async () => {
    const w = createAttributeWaiters()
    const ac = new AbortController()
    const p = w.wait('D', 'k', 5_000, ac.signal)
    ac.abort()
    await expect(p).rejects.toThrow(/aborted/)
    expect(w.size()).toBe(0)
  })

  it('cancelAll rejects everything pending', async () => {
    const w = createAttributeWaiters()
    const p = w.wait('D', 'k', 5_000)
    w.cancelAll('gateway stopping')
    await expect(p).rejects.toThrow('gateway stopping')
  })

  it("matches an update against the keys waited for, never walks the update's keys (issue 10: 100 000 keys)", async () => {
    const w = createAttributeWaiters()
    const data: Record<string, number> = {}
    for (let i = 0; i < 100_000; i++) data[`k${i}`] = i
    let listed = 0
    const watched = new Proxy(data, {
      ownKeys(target) {
        listed++
        return Reflect.ownKeys(target)
      },
    })
    // nobody waits for the device: nothing is looked at
    expect(w.deliver('D', watched)).toBe(0)
    const waiter = w.wait('D', 'k99999', 5_000)
    expect(w.deliver('D', watched)).toBe(1)
    await expect(waiter).resolves.toBe(99_999)
    expect(listed).toBe(0)
  })
})
