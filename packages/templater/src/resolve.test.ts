import { describe, expect, it } from 'vitest'
import { compileExpression, resolveCompiled, resolvePath } from './resolve.ts'

const body = {
  sensorName: 'SN-001',
  temp: 23.5,
  'my key': 'spaced',
  'a.b': 'dotted key',
  a: { b: 'nested', c: { d: [10, 20, 30] } },
  values: [7, { v: 8 }],
  items: [{ v: 1 }, { v: 2 }],
  sparse: [{ w: 1 }, { v: 'second' }],
  nothing: null,
  zero: 0,
  no: false,
  empty: '',
  'with.dot': { x: 'bracketed' },
}

describe('resolvePath', () => {
  it('finds top-level keys', () => {
    expect(resolvePath(body, 'sensorName')).toEqual({ found: true, value: 'SN-001' })
    expect(resolvePath(body, 'temp')).toEqual({ found: true, value: 23.5 })
  })

  it('prefers the whole text as a top-level key (spaces, dots)', () => {
    expect(resolvePath(body, 'my key')).toEqual({ found: true, value: 'spaced' })
    expect(resolvePath(body, 'a.b')).toEqual({ found: true, value: 'dotted key' })
    expect(resolvePath(body, '  my key ')).toEqual({ found: true, value: 'spaced' })
  })

  it('follows paths: dotted, indexed, negative index, bracket keys', () => {
    expect(resolvePath(body, 'a.c.d[1]')).toEqual({ found: true, value: 20 })
    expect(resolvePath(body, 'a.c.d[-1]')).toEqual({ found: true, value: 30 })
    expect(resolvePath(body, 'values[0]')).toEqual({ found: true, value: 7 })
    expect(resolvePath(body, 'values[1].v')).toEqual({ found: true, value: 8 })
    expect(resolvePath(body, '["with.dot"].x')).toEqual({ found: true, value: 'bracketed' })
    expect(resolvePath(body, "['my key']")).toEqual({ found: true, value: 'spaced' })
    expect(resolvePath(body, 'a.c.d.2')).toEqual({ found: true, value: 30 })
    expect(resolvePath({ o: { '0': 'zero key' } }, 'o[0]')).toEqual({ found: true, value: 'zero key' })
    expect(resolvePath([{ v: 'root array' }], '[0].v')).toEqual({ found: true, value: 'root array' })
  })

  it('a wildcard yields the first element where the rest of the path is found', () => {
    expect(resolvePath(body, 'items[*].v')).toEqual({ found: true, value: 1 })
    expect(resolvePath(body, 'sparse[*].v')).toEqual({ found: true, value: 'second' })
    expect(resolvePath(body, 'a.*.d[0]')).toEqual({ found: true, value: 10 })
    expect(resolvePath(body, 'items[*]')).toEqual({ found: true, value: { v: 1 } })
    expect(resolvePath(body, 'items[*].nope')).toEqual({ found: false, value: undefined })
    expect(resolvePath({ e: [] }, 'e[*]')).toEqual({ found: false, value: undefined })
  })

  it('null, 0, false and "" are values, not missing', () => {
    expect(resolvePath(body, 'nothing')).toEqual({ found: true, value: null })
    expect(resolvePath(body, 'zero')).toEqual({ found: true, value: 0 })
    expect(resolvePath(body, 'no')).toEqual({ found: true, value: false })
    expect(resolvePath(body, 'empty')).toEqual({ found: true, value: '' })
  })

  it('reports missing paths, out-of-range indexes and undefined values', () => {
    expect(resolvePath(body, 'sensorType')).toEqual({ found: false, value: undefined })
    expect(resolvePath(body, 'a.x.y')).toEqual({ found: false, value: undefined })
    expect(resolvePath(body, 'values[5]')).toEqual({ found: false, value: undefined })
    expect(resolvePath(body, 'values[-3]')).toEqual({ found: false, value: undefined })
    expect(resolvePath(body, 'temp.x')).toEqual({ found: false, value: undefined })
    expect(resolvePath(body, 'nothing.x')).toEqual({ found: false, value: undefined })
    expect(resolvePath({ u: undefined }, 'u')).toEqual({ found: false, value: undefined })
    expect(resolvePath(body, 'sensorName.length')).toEqual({ found: false, value: undefined })
    expect(resolvePath(body, 'values.length')).toEqual({ found: false, value: undefined })
    expect(resolvePath(body, 'values.01')).toEqual({ found: false, value: undefined })
  })

  it('never reaches inherited properties', () => {
    for (const expr of ['constructor', 'toString', '__proto__', 'a.constructor', 'hasOwnProperty', 'values.map']) {
      expect(resolvePath(body, expr)).toEqual({ found: false, value: undefined })
    }
    const own = JSON.parse('{"__proto__": "own"}') as unknown
    expect(resolvePath(own, '__proto__')).toEqual({ found: true, value: 'own' })
  })

  it('data that is not an object finds nothing and does not throw', () => {
    for (const data of [null, undefined, 42, 'text', true, Symbol('s'), () => 1]) {
      expect(resolvePath(data, 'a')).toEqual({ found: false, value: undefined })
    }
  })

  it('a throwing getter counts as not found', () => {
    const data = {
      get boom(): never {
        throw new Error('getter failed')
      },
      ok: 1,
    }
    expect(resolvePath(data, 'boom')).toEqual({ found: false, value: undefined })
    expect(resolvePath({ nested: data }, 'nested.boom')).toEqual({ found: false, value: undefined })
    expect(resolvePath(data, 'ok')).toEqual({ found: true, value: 1 })
  })

  it('an expression that is not a valid path is looked up only as a top-level key', () => {
    const data = { 'Temp[C]': 21, 'a..b': 'x' }
    expect(resolvePath(data, 'Temp[C]')).toEqual({ found: true, value: 21 })
    expect(resolvePath(data, 'a..b')).toEqual({ found: true, value: 'x' })
    expect(resolvePath({}, 'Temp[C]')).toEqual({ found: false, value: undefined })
    expect(compileExpression('Temp[C]').segments).toBeNull()
  })

  it('compiled expressions skip the key lookup only when it cannot differ from the path', () => {
    expect(compileExpression('temp').keyFirst).toBe(false)
    expect(compileExpression(' temp ').keyFirst).toBe(false)
    expect(compileExpression('a.b').keyFirst).toBe(true)
    expect(compileExpression('a b').keyFirst).toBe(false)
    expect(resolveCompiled({ temp: 1 }, compileExpression('temp'))).toEqual({ found: true, value: 1 })
  })

  it('gives the same answer on repeated calls (cached parsing)', () => {
    for (let i = 0; i < 3; i++) expect(resolvePath(body, 'values[1].v')).toEqual({ found: true, value: 8 })
    for (let i = 0; i < 2000; i++) resolvePath({ [`k${i}`]: i }, `k${i}`)
    expect(resolvePath(body, 'values[1].v')).toEqual({ found: true, value: 8 })
  })
})
