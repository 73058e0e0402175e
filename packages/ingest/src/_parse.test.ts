import { describe, expect, test } from 'vitest'
import { parseContentType } from './_content-type.ts'
import { jsonLimitDefaults } from './_json-limits.ts'
import { LARGE_BODY_BYTES, mergeData, parseBody } from './_parse.ts'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const ct = (header: string | null) => parseContentType(header)

describe('parseContentType', () => {
  test('classifies media types', () => {
    expect(ct(null).kind).toBe('none')
    expect(ct('application/json').kind).toBe('json')
    expect(ct('Application/JSON; charset=UTF-8')).toEqual({ media: 'application/json', kind: 'json', charset: 'utf-8' })
    expect(ct('application/vnd.api+json').kind).toBe('json')
    expect(ct('application/x-www-form-urlencoded').kind).toBe('form')
    expect(ct('multipart/form-data; boundary="a b"')).toEqual({ media: 'multipart/form-data', kind: 'multipart', boundary: 'a b' })
    expect(ct('text/csv').kind).toBe('text')
    expect(ct('application/octet-stream').kind).toBe('binary')
    expect(ct('application/xml').kind).toBe('other')
    expect(ct('image/png').kind).toBe('other')
  })
})

describe('parseBody (strict, JSON converter)', () => {
  test('JSON first whatever the content type says', () => {
    const body = '{"sensorName":"SN-001","temp":32}'
    for (const header of [null, 'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream']) {
      expect(parseBody(bytes(body), ct(header), true, jsonLimitDefaults)).toEqual({ ok: true, value: { sensorName: 'SN-001', temp: 32 } })
    }
    expect(parseBody(bytes(' \n[{"a":1},{"a":2}]'), ct('text/plain'), true, jsonLimitDefaults)).toEqual({ ok: true, value: [{ a: 1 }, { a: 2 }] })
  })

  test('then form fields, then text', () => {
    expect(parseBody(bytes('temp=21&hum=31&temp=22'), ct('application/x-www-form-urlencoded'), true, jsonLimitDefaults)).toEqual({
      ok: true,
      value: { temp: '22', hum: '31' },
    })
    expect(parseBody(bytes('hello world'), ct('text/plain'), true, jsonLimitDefaults)).toEqual({ ok: true, value: { text: 'hello world' } })
    expect(parseBody(bytes('temp=21'), ct('text/plain'), true, jsonLimitDefaults)).toEqual({ ok: true, value: { text: 'temp=21' } })
    // looks like JSON but is not: read as form fields, as the original does
    expect(parseBody(bytes('{bad'), ct('application/x-www-form-urlencoded'), true, jsonLimitDefaults)).toEqual({ ok: true, value: { '{bad': '' } })
    expect(parseBody(bytes('{bad'), ct(null), true, jsonLimitDefaults)).toEqual({ ok: true, value: { text: '{bad' } })
    expect(parseBody(bytes('42 apples'), ct('text/plain'), true, jsonLimitDefaults)).toEqual({ ok: true, value: { text: '42 apples' } })
    expect(parseBody(bytes('true story'), ct('text/plain'), true, jsonLimitDefaults)).toEqual({ ok: true, value: { text: 'true story' } })
  })

  test('a body declared JSON must be a JSON object or array', () => {
    expect(parseBody(bytes('{bad'), ct('application/json'), true, jsonLimitDefaults)).toMatchObject({ ok: false, status: 400, code: 'INVALID_JSON' })
    expect(parseBody(bytes('42'), ct('application/json'), true, jsonLimitDefaults)).toMatchObject({ ok: false, status: 400, code: 'BODY_SHAPE' })
    expect(parseBody(bytes('"x"'), ct('application/json'), true, jsonLimitDefaults)).toMatchObject({
      ok: false,
      code: 'BODY_SHAPE',
      message: expect.stringContaining('string'),
    })
    expect(parseBody(bytes('null'), ct('application/json'), true, jsonLimitDefaults)).toMatchObject({ ok: false, code: 'BODY_SHAPE' })
  })

  test('a JSON scalar is refused whatever the content type says (JSON first, as the original reads bodies)', () => {
    for (const header of [null, 'application/x-www-form-urlencoded', 'text/plain']) {
      for (const body of ['42', ' -1.5 ', '"x"', 'true', 'null']) {
        expect(parseBody(bytes(body), ct(header), true, jsonLimitDefaults)).toMatchObject({ ok: false, status: 400, code: 'BODY_SHAPE' })
      }
    }
  })

  test('invalid text encoding and unknown charsets', () => {
    const invalid = new Uint8Array([0xff, 0xfe, 0x00])
    expect(parseBody(invalid, ct('application/octet-stream'), true, jsonLimitDefaults)).toMatchObject({ ok: false, status: 400, code: 'INVALID_ENCODING' })
    expect(parseBody(invalid, ct('application/json'), true, jsonLimitDefaults)).toMatchObject({ ok: false, status: 400, code: 'INVALID_ENCODING' })
    expect(parseBody(bytes('x'), ct('text/plain; charset=klingon'), true, jsonLimitDefaults)).toMatchObject({
      ok: false,
      status: 415,
      code: 'UNSUPPORTED_CHARSET',
    })
    // a declared latin-1 body is decoded as latin-1
    expect(parseBody(new Uint8Array([0x63, 0x61, 0x66, 0xe9]), ct('text/plain; charset=iso-8859-1'), true, jsonLimitDefaults)).toEqual({
      ok: true,
      value: { text: 'café' },
    })
  })

  test('an empty body gives no value', () => {
    expect(parseBody(new Uint8Array(0), ct('application/json'), true, jsonLimitDefaults)).toEqual({ ok: true, value: undefined })
  })
})

describe('parseBody (lenient, custom converters)', () => {
  test('never fails', () => {
    expect(parseBody(new Uint8Array([0, 1, 2, 0xff]), ct('application/octet-stream'), false, jsonLimitDefaults)).toEqual({ ok: true, value: undefined })
    expect(parseBody(bytes('{bad'), ct('application/json'), false, jsonLimitDefaults)).toEqual({ ok: true, value: { text: '{bad' } })
    expect(parseBody(bytes('42'), ct('application/json'), false, jsonLimitDefaults)).toEqual({ ok: true, value: { text: '42' } })
    expect(parseBody(bytes('42'), ct('text/plain'), false, jsonLimitDefaults)).toEqual({ ok: true, value: { text: '42' } })
    expect(parseBody(bytes('--x\r\nbroken'), ct('multipart/form-data; boundary=x'), false, jsonLimitDefaults)).toEqual({ ok: true, value: undefined })
  })
})

describe('mergeData', () => {
  test('path params, then body, then query (query wins)', () => {
    expect(mergeData({ name: 'P', a: 'param' }, { a: 'body', b: 'body' }, { b: 'query' }, true)).toEqual({
      ok: true,
      data: { name: 'P', a: 'body', b: 'query' },
    })
    expect(mergeData({ name: 'P' }, undefined, { t: '1' }, true)).toEqual({ ok: true, data: { name: 'P', t: '1' } })
  })

  test('an array body is merged into each element', () => {
    expect(mergeData({ id: 'x' }, [{ a: 1 }, { a: 2, id: 'own' }], { q: '1' }, true)).toEqual({
      ok: true,
      data: [
        { id: 'x', a: 1, q: '1' },
        { id: 'own', a: 2, q: '1' },
      ],
    })
  })

  test('strict: every element must be an object', () => {
    expect(mergeData({}, [{ a: 1 }, 5], {}, true)).toMatchObject({ ok: false, status: 400, code: 'BODY_SHAPE', message: expect.stringContaining('[1]') })
    expect(mergeData({}, [{ a: 1 }, 5], {}, false)).toEqual({ ok: true, data: [{ a: 1 }, 5] })
  })

  test('"__proto__" keys stay plain data', async () => {
    const body = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>
    const result = await mergeData({}, body, Object.fromEntries(new URLSearchParams('__proto__=x')), true)
    expect(result.ok).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    if (result.ok) expect(Object.getPrototypeOf(result.data)).toBe(Object.prototype)
  })
})

describe('parseBody of a big body (read in turns, a JSON array in slices)', () => {
  const many = { maxDepth: 32, maxElements: 1_000_000, maxKeys: 10_000_000 }
  // elements with the characters the scan and the slicing look at, in strings and escapes
  const elements = Array.from({ length: 6000 }, (_, i) => (i % 3 === 0 ? { i, s: `],[{"\\${i}` } : i % 3 === 1 ? [i, 'a,b', { k: null }] : `x"${i},`))
  const text = JSON.stringify(elements)

  test('gives what JSON.parse gives, in both modes and whatever the declared type', async () => {
    expect(text.length).toBeGreaterThan(LARGE_BODY_BYTES)
    for (const strict of [true, false]) {
      for (const header of ['application/json', 'text/plain', null]) {
        const result = parseBody(bytes(` \n${text}\r\n`), ct(header), strict, many)
        expect(result).toBeInstanceOf(Promise)
        expect(await result).toEqual({ ok: true, value: elements })
      }
    }
  })

  test('a big text that is not one valid JSON value is refused (strict) or kept as text (lenient), as a small one', async () => {
    const bad = [
      text.replace('},[', '},,['), // an empty element
      `${text.slice(0, -1)},]`, // a trailing comma
      `${text}]`, // one bracket too many
      `${text} 5`, // more after the value
      `${text}${text}`, // two values
      text.slice(0, -1), // never closed
      `${text.slice(0, -1)}}`, // closed by the wrong bracket
      `x${text}`,
    ]
    for (const body of bad) {
      expect(JSON.parse.bind(null, body)).toThrow()
      expect(await parseBody(bytes(body), ct('application/json'), true, many)).toMatchObject({ ok: false, status: 400, code: 'INVALID_JSON' })
      expect(await parseBody(bytes(body), ct('application/json'), false, many)).toEqual({ ok: true, value: { text: body } })
    }
  })

  test('the limits hold for a big body too', async () => {
    expect(await parseBody(bytes(text), ct('application/json'), true, { ...many, maxElements: 5999 })).toMatchObject({ status: 413, code: 'TOO_MANY_ELEMENTS' })
    expect(await parseBody(bytes(text), ct('application/json'), true, { ...many, maxKeys: 100 })).toMatchObject({ status: 413, code: 'TOO_MANY_KEYS' })
    const deep = `[${'['.repeat(40)}${']'.repeat(40)},${text.slice(1)}`
    expect(await parseBody(bytes(deep), ct('application/json'), true, many)).toMatchObject({ status: 400, code: 'BODY_TOO_DEEP' })
  })

  test('a big object (not sliceable) and big form or text bodies are read as before', async () => {
    const object = { a: 'x'.repeat(LARGE_BODY_BYTES), b: [1, 2] }
    expect(await parseBody(bytes(JSON.stringify(object)), ct('application/json'), true, many)).toEqual({ ok: true, value: object })
    const plain = 'hello '.repeat(LARGE_BODY_BYTES / 4)
    expect(await parseBody(bytes(plain), ct('text/plain'), true, many)).toEqual({ ok: true, value: { text: plain } })
    const form = `a=${'1'.repeat(LARGE_BODY_BYTES)}&b=2`
    expect(await parseBody(bytes(form), ct('application/x-www-form-urlencoded'), true, many)).toEqual({
      ok: true,
      value: { a: '1'.repeat(LARGE_BODY_BYTES), b: '2' },
    })
  })
})

test('mergeData of a long array with params or query: merged a slice per turn, in order', async () => {
  const body = Array.from({ length: 5000 }, (_, i) => ({ i }))
  const merged = mergeData({ p: 'x' }, body, { q: 'y' }, true)
  expect(merged).toBeInstanceOf(Promise)
  expect(await merged).toEqual({ ok: true, data: body.map((e) => ({ p: 'x', ...e, q: 'y' })) })
  expect(await mergeData({ p: 'x' }, [...body, 5], {}, true)).toMatchObject({ ok: false, code: 'BODY_SHAPE', message: expect.stringContaining('[5000]') })
})
