import { describe, expect, it } from 'vitest'
import { encodeUrlComponent, jsonOf, jsonStringContent, safeJson, textOf } from './_stringify.ts'

describe('textOf', () => {
  it('renders scalars', () => {
    expect(textOf('a b')).toBe('a b')
    expect(textOf(23.5)).toBe('23.5')
    expect(textOf(-0)).toBe('0')
    expect(textOf(true)).toBe('true')
    expect(textOf(false)).toBe('false')
    expect(textOf(null)).toBe('null')
    expect(textOf(undefined)).toBe('')
    expect(textOf(12345678901234567890n)).toBe('12345678901234567890')
    expect(textOf(Number.NaN)).toBe('NaN')
  })

  it('renders objects and arrays as JSON, string-valued JSON (Date) without quotes', () => {
    expect(textOf({ a: 1, b: [1, 2] })).toBe('{"a":1,"b":[1,2]}')
    expect(textOf([1, 'x', null])).toBe('[1,"x",null]')
    expect(textOf(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('2024-01-02T03:04:05.000Z')
  })

  it('renders functions and symbols as empty text', () => {
    expect(textOf(() => 1)).toBe('')
    expect(textOf(Symbol('s'))).toBe('')
  })
})

describe('safeJson', () => {
  it('marks cycles and keeps shared (non-cyclic) references', () => {
    const shared = { v: 1 }
    const cyclic: Record<string, unknown> = { shared, again: shared }
    cyclic['self'] = cyclic
    expect(safeJson(cyclic)).toBe('{"shared":{"v":1},"again":{"v":1},"self":"[Circular]"}')
    const list: unknown[] = [1]
    list.push(list)
    expect(safeJson(list)).toBe('[1,"[Circular]"]')
  })

  it('turns BigInt into decimal strings at any depth', () => {
    expect(safeJson({ big: 2n ** 70n, list: [1n] })).toBe('{"big":"1180591620717411303424","list":["1"]}')
  })

  it('survives a throwing toJSON', () => {
    const bad = {
      toJSON(): never {
        throw new Error('nope')
      },
    }
    expect(safeJson({ bad })).toBe('"[Unserializable]"')
  })
})

describe('jsonOf', () => {
  it('keeps numbers and objects, quotes strings, maps undefined and non-JSON to null', () => {
    expect(jsonOf(21.5)).toBe('21.5')
    expect(jsonOf('kit"chen')).toBe('"kit\\"chen"')
    expect(jsonOf({ x: 1, flag: true })).toBe('{"x":1,"flag":true}')
    expect(jsonOf(null)).toBe('null')
    expect(jsonOf(undefined)).toBe('null')
    expect(jsonOf(() => 1)).toBe('null')
    expect(jsonOf(Number.POSITIVE_INFINITY)).toBe('null')
    expect(jsonOf(5n)).toBe('"5"')
  })
})

describe('jsonStringContent', () => {
  it('escapes quotes, backslashes, control characters and lone surrogates', () => {
    expect(jsonStringContent('a"b\\c\n\u0001')).toBe('a\\"b\\\\c\\n\\u0001')
    expect(jsonStringContent('\uD800')).toBe('\\ud800')
    expect(JSON.parse(`"${jsonStringContent('x"\n\t\u2028y')}"`)).toBe('x"\n\t\u2028y')
  })
})

describe('encodeUrlComponent', () => {
  it('percent-encodes URL structure characters and unicode', () => {
    expect(encodeUrlComponent('a b/c?d#e&f=g+h%')).toBe('a%20b%2Fc%3Fd%23e%26f%3Dg%2Bh%25')
    expect(encodeUrlComponent('ü€😀')).toBe('%C3%BC%E2%82%AC%F0%9F%98%80')
  })

  it('replaces lone surrogates with U+FFFD instead of throwing', () => {
    expect(encodeUrlComponent('a\uD800b')).toBe('a%EF%BF%BDb')
    expect(encodeUrlComponent('\uDC00')).toBe('%EF%BF%BD')
    expect(encodeUrlComponent('😀\uD83D')).toBe('%F0%9F%98%80%EF%BF%BD')
  })
})
