import { describe, expect, it } from 'vitest'
import { findKeyDeep, lastPathKey, toEpochMs } from './timestamp.ts'

describe('toEpochMs', () => {
  it.each([
    [1700000000000, 1700000000000],
    ['1700000000000', 1700000000000],
    [1700000000, 1700000000000],
    ['1700000000', 1700000000000],
    [1700000000.5, 1700000000500],
    [' 1700000000123 ', 1700000000123],
    [1700000000123456, 1700000000123],
    [1.7000000001234568e18, 1700000000123],
    [0, 0],
  ])('%j → %j (seconds below 1e11, micro/nanoseconds by size)', (input, expected) => {
    expect(toEpochMs(input)).toBe(expected)
  })

  it('parses date strings', () => {
    expect(toEpochMs('2024-01-02T03:04:05Z')).toBe(1704164645000)
    expect(toEpochMs('02/01/2024 00:00:00 +0000', { dayfirst: true })).toBe(Date.UTC(2024, 0, 2))
  })

  it.each([['garbage'], [''], [null], [undefined], [true], [{ ts: 1 }], [[1]], [Number.NaN], [Number.POSITIVE_INFINITY], ['Infinity']])(
    '%j is not a timestamp',
    (input) => {
      expect(toEpochMs(input)).toBeUndefined()
    },
  )
})

describe('lastPathKey', () => {
  it.each([
    ['time', 'time'],
    ['D1234.timestamp', 'timestamp'],
    [' a.b.c ', 'c'],
    ['data.items[0]', 'items'],
    ['data.items[0].time', 'time'],
    ['a["x.y"]', 'x.y'],
    ["a['q\\'s']", "q's"],
  ])('%j → %j', (expr, key) => {
    expect(lastPathKey(expr)).toBe(key)
  })
})

describe('findKeyDeep', () => {
  it('prefers an own key over nested ones and searches depth first in order', () => {
    expect(findKeyDeep({ t: 1, a: { t: 2 } }, 't')).toEqual({ found: true, value: 1 })
    expect(findKeyDeep({ a: { b: { t: 2 } }, c: { t: 3 } }, 't')).toEqual({ found: true, value: 2 })
    expect(findKeyDeep({ list: [{ x: 1 }, { t: 'x' }] }, 't')).toEqual({ found: true, value: 'x' })
  })

  it('finds nothing in scalars or when absent', () => {
    expect(findKeyDeep(5, 't').found).toBe(false)
    expect(findKeyDeep({ a: { b: 1 } }, 't').found).toBe(false)
    expect(findKeyDeep({ t: undefined }, 't').found).toBe(false)
  })

  it('stops at a bounded depth', () => {
    let deep: Record<string, unknown> = { t: 'bottom' }
    for (let i = 0; i < 100; i++) deep = { n: deep }
    expect(findKeyDeep(deep, 't').found).toBe(false)
    let shallow: Record<string, unknown> = { t: 'bottom' }
    for (let i = 0; i < 10; i++) shallow = { n: shallow }
    expect(findKeyDeep(shallow, 't')).toEqual({ found: true, value: 'bottom' })
  })
})
