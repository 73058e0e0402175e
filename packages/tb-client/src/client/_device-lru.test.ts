import { describe, expect, it } from 'vitest'
import { DeviceLru } from './_device-lru.ts'

describe('DeviceLru', () => {
  it('forgets the least recently used device beyond its bound', () => {
    const lru = new DeviceLru(3)
    for (const d of ['A', 'B', 'C']) lru.add(d)
    expect(lru.has('A')).toBe(true) // A is now the most recently used: B is the oldest
    lru.add('D')
    expect(lru.size).toBe(3)
    expect(lru.has('B')).toBe(false)
    expect(['A', 'C', 'D'].map((d) => lru.has(d))).toEqual([true, true, true])
  })

  it('re-adding a known device does not grow it', () => {
    const lru = new DeviceLru(2)
    lru.add('A')
    lru.add('A')
    lru.add('B')
    expect(lru.size).toBe(2)
    expect(lru.has('A')).toBe(true)
  })

  it('keeps a device used within the last epoch (max/8 moves) when older ones go', () => {
    const lru = new DeviceLru(80) // epochs of 10 moves
    for (let i = 0; i < 80; i++) lru.add(`d${i}`)
    // d0 is the oldest; a hit moves it (it was placed in an earlier epoch)
    expect(lru.has('d0')).toBe(true)
    for (let i = 80; i < 159; i++) lru.add(`d${i}`)
    expect(lru.has('d0')).toBe(true)
    expect(lru.has('d1')).toBe(false)
    expect(lru.size).toBe(80)
  })

  it('stays at its bound however many names arrive', () => {
    const lru = new DeviceLru(100)
    for (let i = 0; i < 10_000; i++) lru.add(`device-${i}`)
    expect(lru.size).toBe(100)
    expect(lru.has('device-9999')).toBe(true)
    expect(lru.has('device-9899')).toBe(false)
  })
})
