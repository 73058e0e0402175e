import { describe, expect, it } from 'vitest'
import { createOriginLimiter } from './_origin-limiter.ts'

const never = new AbortController().signal

describe('origin limiter', () => {
  it('bounds each origin separately and hands slots on in FIFO order', async () => {
    const limiter = createOriginLimiter(2)
    const a1 = await limiter.acquire('http://a', never)
    const a2 = await limiter.acquire('http://a', never)
    const b1 = await limiter.acquire('http://b', never) // another origin is not blocked
    const order: string[] = []
    const a3 = limiter.acquire('http://a', never).then((r) => (order.push('a3'), r))
    const a4 = limiter.acquire('http://a', never).then((r) => (order.push('a4'), r))
    expect([limiter.active(), limiter.waiting()]).toEqual([3, 2])
    expect([a1.slot, a2.slot, b1.slot]).toEqual([0, 1, 0])
    a1.release()
    a1.release() // releasing twice is harmless
    const r3 = await a3
    expect(order).toEqual(['a3'])
    expect(r3.slot).toBe(a1.slot) // the slot (and its connection) passes on
    expect([limiter.active(), limiter.waiting()]).toEqual([3, 1])
    a2.release()
    const r4 = await a4
    expect(order).toEqual(['a3', 'a4'])
    for (const lease of [r3, r4, b1]) lease.release()
    expect([limiter.active(), limiter.waiting()]).toEqual([0, 0])
    // slot numbers are reused: never more distinct slots than the limit
    const again = await Promise.all([limiter.acquire('http://a', never), limiter.acquire('http://a', never)])
    expect(again.map((l) => l.slot).toSorted()).toEqual([0, 1])
  })

  it('a waiter whose signal aborts leaves the queue with the abort reason', async () => {
    const limiter = createOriginLimiter(1)
    const held = await limiter.acquire('o', never)
    const controller = new AbortController()
    const waiting = limiter.acquire('o', controller.signal)
    controller.abort(new Error('deadline'))
    await expect(waiting).rejects.toThrow('deadline')
    expect(limiter.waiting()).toBe(0)
    held.release()
    expect(limiter.active()).toBe(0)
    await expect(limiter.acquire('o', controller.signal)).rejects.toThrow('deadline')
  })
})
