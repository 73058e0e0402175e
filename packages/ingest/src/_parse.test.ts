import { describe, expect, test } from 'vitest'
import { parseContentType } from './_content-type.ts'
import { jsonLimitDefaults } from './_json-limits.ts'
import { mergeData, parseBody } from './_parse.ts'

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
