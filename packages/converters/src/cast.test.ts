import { describe, expect, it } from 'vitest'
import { castValue, MAX_JSON_VALUE_DEPTH } from './cast.ts'

const nest = (n: number): unknown => JSON.parse('['.repeat(n) + ']'.repeat(n))

const ok = (value: unknown): { ok: true; value: unknown } => ({ ok: true, value })

describe('castValue', () => {
  it.each([
    ['abc', 'abc'],
    [23.5, '23.5'],
    [0, '0'],
    [true, 'true'],
    [false, 'false'],
    [{ a: 1, b: [1, 2] }, '{"a":1,"b":[1,2]}'],
    [[1, 'x'], '[1,"x"]'],
    ['', ''],
  ])('string: %j → %j', (input, expected) => {
    expect(castValue(input, 'string')).toEqual(ok(expected))
  })

  it.each([
    [23.5, 23.5],
    [60, 60],
    ['23.5', 23.5],
    [' 12 ', 12],
    ['-3.25', -3.25],
    ['.5', 0.5],
    ['1e3', 1000],
    ['+7', 7],
    [-0.001, -0.001],
  ])('double: %j → %j', (input, expected) => {
    expect(castValue(input, 'double')).toEqual(ok(expected))
  })

  it.each([
    ['abc', 'cannot cast "abc" to double'],
    ['', 'cannot cast "" to double'],
    ['0x10', 'cannot cast "0x10" to double'],
    ['Infinity', 'cannot cast "Infinity" to double'],
    ['NaN', 'cannot cast "NaN" to double'],
    ['12abc', 'cannot cast "12abc" to double'],
    [true, 'cannot cast true to double'],
    [{ v: 1 }, 'cannot cast an object to double'],
    [[1], 'cannot cast an array to double'],
    ['1e400', 'cannot cast "1e400" to double: not a finite number'],
  ])('double: %j is rejected (%s)', (input, reason) => {
    expect(castValue(input, 'double')).toEqual({ ok: false, reason })
  })

  it.each([
    [42, 42],
    ['42', 42],
    [' -7 ', -7],
    ['12.0', 12],
    [12.0, 12],
    ['1e3', 1000],
    [-0, 0],
  ])('int: %j → %j', (input, expected) => {
    expect(castValue(input, 'int')).toEqual(ok(expected))
  })

  it.each([
    [12.7, 'cannot cast 12.7 to int: fractional value'],
    ['12.7', 'cannot cast "12.7" to int: fractional value'],
    ['abc', 'cannot cast "abc" to int'],
    [true, 'cannot cast true to int'],
    [2 ** 60, `cannot cast ${2 ** 60} to int: outside the exactly representable range ±2^53`],
  ])('int: %j is rejected, never truncated (%s)', (input, reason) => {
    expect(castValue(input, 'int')).toEqual({ ok: false, reason })
  })

  it.each([
    [true, true],
    [false, false],
    ['true', true],
    ['TRUE', true],
    ['False', false],
    [' false ', false],
    [1, true],
    [0, false],
    ['1', true],
    ['0', false],
  ])('bool: %j → %j', (input, expected) => {
    expect(castValue(input, 'bool')).toEqual(ok(expected))
  })

  it.each([['yes'], [2], ['2'], [''], [{}], [0.5]])('bool: %j is rejected', (input) => {
    const result = castValue(input, 'bool')
    expect(result.ok).toBe(false)
  })

  it('json: a looked-up value is sent as it is', () => {
    expect(castValue({ a: 1 }, 'json')).toEqual(ok({ a: 1 }))
    expect(castValue('{"a":1}', 'json')).toEqual(ok('{"a":1}'))
    expect(castValue(5, 'json')).toEqual(ok(5))
    expect(castValue(false, 'json')).toEqual(ok(false))
  })

  it('json: text from a constant or a text template is parsed when it is JSON, else kept as a string', () => {
    expect(castValue('{"a":1}', 'json', true)).toEqual(ok({ a: 1 }))
    expect(castValue('12', 'json', true)).toEqual(ok(12))
    expect(castValue('1-2', 'json', true)).toEqual(ok('1-2'))
  })

  it('json: a number JSON cannot hold (1e400 parses to Infinity) is not cast, at any depth', () => {
    expect(castValue(JSON.parse('1e400'), 'json')).toEqual({ ok: false, reason: 'cannot cast Infinity to json: not a finite number' })
    expect(castValue(JSON.parse('{"a":[1,{"b":-1e400}]}'), 'json')).toEqual({
      ok: false,
      reason: 'cannot cast an object to json: holds a number that is not finite',
    })
    expect(castValue('[1e400]', 'json', true)).toEqual({ ok: false, reason: 'cannot cast "[1e400]" to json: holds a number that is not finite' })
    expect(castValue(JSON.parse('{"a":[1e400]}'), 'string')).toMatchObject({ ok: false, reason: expect.stringContaining('not finite') })
    expect(castValue(JSON.parse('{"a":[1e308]}'), 'json')).toEqual(ok({ a: [1e308] }))
  })

  it('json: nesting deeper than MAX_JSON_VALUE_DEPTH is not cast (no recursion: 20 000 levels are fine to check)', () => {
    expect(castValue(nest(MAX_JSON_VALUE_DEPTH), 'json').ok).toBe(true)
    expect(castValue(nest(MAX_JSON_VALUE_DEPTH + 1), 'json')).toEqual({
      ok: false,
      reason: `cannot cast an array to json: nested deeper than ${MAX_JSON_VALUE_DEPTH} levels`,
    })
    expect(castValue(nest(20_000), 'json').ok).toBe(false)
    expect(castValue(nest(20_000), 'string').ok).toBe(false)
  })

  it.each(['string', 'double', 'int', 'bool', 'json'] as const)('%s: null and undefined never cast', (type) => {
    expect(castValue(null, type)).toEqual({ ok: false, reason: `cannot cast null to ${type}` })
    expect(castValue(undefined, type).ok).toBe(false)
  })

  it('keeps error messages short for long values', () => {
    const result = castValue('x'.repeat(500), 'double')
    expect(result.ok).toBe(false)
    expect((result as { reason: string }).reason.length).toBeLessThan(80)
  })
})
