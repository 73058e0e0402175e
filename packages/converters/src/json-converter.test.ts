import { describe, expect, it } from 'vitest'
import { ConverterError } from './errors.ts'
import { CHUNK_ELEMENTS, createJsonConverter } from './json-converter.ts'
import { createRequestInfo } from './request-info.ts'
import { createTestConverterConfig, type TestConverterConfigInit } from './test-config.ts'
import { turnProbe } from './_turn-probe.ts'
import type { ConvertResult } from './types.ts'

const T0 = 1_700_000_000_000
const request = createRequestInfo({ receivedAt: T0 })

function convert(init: TestConverterConfigInit, data: unknown): ConvertResult {
  return createJsonConverter(createTestConverterConfig(init)).convert(data, request) as ConvertResult
}

function convertError(init: TestConverterConfigInit, data: unknown): ConverterError {
  try {
    convert(init, data)
  } catch (e) {
    if (ConverterError.is(e)) return e
    throw e
  }
  throw new Error('expected a ConverterError')
}

describe('createJsonConverter: values', () => {
  it('renders templates with literal text as text, then casts', () => {
    const result = convert(
      {
        deviceName: 'D',
        attributes: [
          { key: 'label', value: '${a}-${b}' },
          { key: 'joined', value: '${a}${b}', type: 'int' },
          { key: 'ratio', value: '${a}.${b}', type: 'double' },
        ],
      },
      { a: 1, b: 2 },
    )
    expect(result).toEqual({
      records: [{ deviceName: 'D', deviceType: 'default', attributes: { label: '1-2', joined: 12, ratio: 1.2 }, telemetry: [] }],
      dropped: [],
    })
  })

  it('casts constant values once, at load', () => {
    const result = convert(
      {
        deviceName: 'D',
        attributes: [
          { key: 'n', value: '42', type: 'int' },
          { key: 'on', value: 'TRUE', type: 'bool' },
          { key: 'cfg', value: '{"a":[1]}', type: 'json' },
        ],
      },
      {},
    )
    expect(result.records[0]?.attributes).toEqual({ n: 42, on: true, cfg: { a: [1] } })
  })

  it('rejects at load a constant value that cannot be cast, naming the config path', () => {
    expect(() => createJsonConverter(createTestConverterConfig({ attributes: [{ key: 'x', value: 'n/a', type: 'double' }] }))).toThrowError(
      expect.objectContaining({
        code: 'CONVERTER_CONFIG',
        message: 'mapping[0].converter.attributes[0].value: the constant value cannot cast "n/a" to double',
      }),
    )
  })

  it('rejects at load a template that does not compile, naming the config path', () => {
    const error = (() => {
      try {
        createJsonConverter(createTestConverterConfig({ timeseries: [{ key: 't', value: '${temp' }] }))
      } catch (e) {
        return e as ConverterError
      }
      throw new Error('no error')
    })()
    expect(error.code).toBe('CONVERTER_CONFIG')
    expect(error.path).toBe('mapping[0].converter.timeseries[0].value')
    expect(error.message).toContain('mapping[0].converter.timeseries[0].value')
    expect(error.cause).toBeDefined()
  })

  it('reaches nested values, array items, keys with spaces and dotted keys', () => {
    const result = convert(
      {
        deviceName: 'D',
        attributes: [
          { key: 'c', value: '${a.b.c}' },
          { key: 'v', value: '${list[1].v}', type: 'int' },
          { key: 'spaced', value: '${my key}' },
          { key: 'dotted', value: '${x.y}' },
        ],
      },
      { a: { b: { c: 'deep' } }, list: [{ v: 1 }, { v: 2 }], 'my key': 'sp', 'x.y': 'dot' },
    )
    expect(result.records[0]?.attributes).toEqual({ c: 'deep', v: 2, spaced: 'sp', dotted: 'dot' })
    expect(result.dropped).toEqual([])
  })

  it('drops missing, null and uncastable values, reporting path, key and reason', () => {
    const result = convert(
      {
        deviceName: 'D',
        timeseries: [
          { key: 'temperature', value: '${temp}', type: 'double' },
          { key: 'humidity', value: '${hum}', type: 'double' },
          { key: 'pressure', value: '${p}', type: 'double' },
          { key: 'pair', value: '${hum}:${temp}' },
          { key: 'nulled', value: '${n}-x' },
          { key: 'count', value: '${c}', type: 'int' },
        ],
      },
      { temp: 1, p: 'abc', n: null, c: 2.5 },
    )
    expect(result.records).toEqual([{ deviceName: 'D', deviceType: 'default', attributes: {}, telemetry: [{ ts: T0, values: { temperature: 1 } }] }])
    expect(result.dropped).toEqual([
      { path: 'mapping[0].converter.timeseries[1].value', key: 'humidity', reason: 'missing ${hum}' },
      { path: 'mapping[0].converter.timeseries[2].value', key: 'pressure', reason: 'cannot cast "abc" to double' },
      { path: 'mapping[0].converter.timeseries[3].value', key: 'pair', reason: 'missing ${hum}' },
      { path: 'mapping[0].converter.timeseries[4].value', key: 'nulled', reason: '${n} is null' },
      { path: 'mapping[0].converter.timeseries[5].value', key: 'count', reason: 'cannot cast 2.5 to int: fractional value' },
    ])
  })

  it('drops a single-placeholder value that is null', () => {
    const result = convert({ deviceName: 'D', timeseries: [{ key: 't', value: '${t}', type: 'double' }] }, { t: null })
    expect(result).toEqual({ records: [], dropped: [{ path: 'mapping[0].converter.timeseries[0].value', key: 't', reason: '${t} is null' }] })
  })

  it('keeps the text "null" when it is a real string value', () => {
    const result = convert({ deviceName: 'D', attributes: [{ key: 'a', value: '${s}-x' }] }, { s: 'null' })
    expect(result.records[0]?.attributes).toEqual({ a: 'null-x' })
  })

  it('renders templated keys; a missing key placeholder drops the datapoint', () => {
    const result = convert(
      {
        deviceName: 'D',
        timeseries: [
          { key: '${kind}_value', value: '${v}', type: 'double' },
          { key: '${nokind}_x', value: '1', type: 'int' },
        ],
      },
      { kind: 'pressure', v: '7.5' },
    )
    expect(result.records[0]?.telemetry).toEqual([{ ts: T0, values: { pressure_value: 7.5 } }])
    expect(result.dropped).toEqual([{ path: 'mapping[0].converter.timeseries[1].key', reason: 'missing ${nokind}' }])
  })

  it('drops a key that renders empty or from a null', () => {
    const result = convert(
      {
        deviceName: 'D',
        attributes: [
          { key: '${k}', value: '1' },
          { key: '${n}', value: '2' },
        ],
      },
      { k: '', n: null },
    )
    expect(result).toEqual({
      records: [],
      dropped: [
        { path: 'mapping[0].converter.attributes[0].key', reason: 'key "${k}" rendered empty' },
        { path: 'mapping[0].converter.attributes[1].key', reason: '${n} is null' },
      ],
    })
  })

  it('stores a "__proto__" key as data, not as a prototype', () => {
    const result = convert({ deviceName: 'D', attributes: [{ key: '${k}', value: 'x' }] }, { k: '__proto__' })
    const attributes = result.records[0]?.attributes as Record<string, unknown>
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype)
    expect(Object.keys(attributes)).toEqual(['__proto__'])
    expect(JSON.stringify(attributes)).toBe('{"__proto__":"x"}')
  })
})

describe('createJsonConverter: device name and type', () => {
  it('uses a constant name literally, even with ${ in it', () => {
    const result = convert({ deviceName: 'Dev ${x}', deviceNameSource: 'constant', attributes: [{ key: 'a', value: '1' }] }, { x: 'no' })
    expect(result.records[0]?.deviceName).toBe('Dev ${x}')
  })

  it('renders a request name with literal text around placeholders', () => {
    const result = convert({ deviceName: 'Device ${serial}-${line}', attributes: [{ key: 'a', value: '1' }] }, { serial: 'S1', line: 2 })
    expect(result.records[0]?.deviceName).toBe('Device S1-2')
  })

  it.each([
    [{}, 'missing ${sensorName}'],
    [{ sensorName: null }, '${sensorName} is null'],
    [{ sensorName: '' }, 'it rendered empty'],
    [{ sensorName: '   ' }, 'it rendered empty'],
  ])('fails the whole request when the name has no value (%j)', (data, why) => {
    const error = convertError({ deviceName: '${sensorName}', attributes: [{ key: 'a', value: '1' }] }, data)
    expect(error.code).toBe('DEVICE_NAME_MISSING')
    expect(error.path).toBe('mapping[0].converter.deviceInfo.deviceNameExpression')
    expect(error.message).toBe(`no device name: expression "\${sensorName}" (mapping[0].converter.deviceInfo.deviceNameExpression) has no value: ${why}`)
  })

  it('names the old-format key in the path when the config used it', () => {
    const error = convertError({ deviceName: 'Device ${name}', raw: { deviceNameExpression: 'Device ${name}' } }, {})
    expect(error.path).toBe('mapping[0].converter.deviceNameExpression')
  })

  it('applies the name rule even when the element carries no data', () => {
    expect(convertError({ deviceName: '${id}' }, { other: 1 }).code).toBe('DEVICE_NAME_MISSING')
    expect(convert({ deviceName: '${id}' }, { id: 'X' })).toEqual({ records: [], dropped: [] })
  })

  it('falls back to the type "default" when the type expression has no value', () => {
    const init = { deviceName: 'D', deviceType: '${kind}', attributes: [{ key: 'a', value: '1' }] }
    expect(convert(init, {}).records[0]?.deviceType).toBe('default')
    expect(convert(init, { kind: null }).records[0]?.deviceType).toBe('default')
    expect(convert(init, { kind: '' }).records[0]?.deviceType).toBe('default')
    expect(convert(init, { kind: 'Thermo' }).records[0]?.deviceType).toBe('Thermo')
    expect(convert({ ...init, deviceType: 'Meter', deviceTypeSource: 'constant' }, {}).records[0]?.deviceType).toBe('Meter')
  })
})

describe('createJsonConverter: body shapes', () => {
  const init = { deviceName: '${id}', timeseries: [{ key: 't', value: '${t}', type: 'double' as const }] }

  it('converts every element of an array, each its own device', () => {
    const result = convert(init, [{ id: 'A', t: 1 }, { id: 'B', t: '2' }, { id: 'A', t: 3, ts: 1 }, { id: 'C' }])
    expect(result).toEqual({
      records: [
        { deviceName: 'A', deviceType: 'default', attributes: {}, telemetry: [{ ts: T0, values: { t: 1 } }] },
        { deviceName: 'B', deviceType: 'default', attributes: {}, telemetry: [{ ts: T0, values: { t: 2 } }] },
        { deviceName: 'A', deviceType: 'default', attributes: {}, telemetry: [{ ts: 1000, values: { t: 3 } }] },
      ],
      dropped: [{ path: 'mapping[0].converter.timeseries[0].value', key: 't', reason: 'missing ${t}', index: 3 }],
    })
  })

  it('gives no records for an empty array', () => {
    expect(convert(init, [])).toEqual({ records: [], dropped: [] })
  })

  it('fails an array whose element has no device name, naming the element', () => {
    const error = convertError(init, [{ id: 'A', t: 1 }, { t: 2 }])
    expect(error.code).toBe('DEVICE_NAME_MISSING')
    expect(error.index).toBe(1)
    expect(error.message).toContain('in body element [1]')
  })

  it.each([
    [[{ id: 'A' }, 5], 'body element [1] is a number, expected a JSON object'],
    [[null], 'body element [0] is null, expected a JSON object'],
    [[[1]], 'body element [0] is an array, expected a JSON object'],
    [42, 'body is a number, expected a JSON object or an array of objects'],
    ['text', 'body is a string, expected a JSON object or an array of objects'],
    [null, 'body is null, expected a JSON object or an array of objects'],
    [new Uint8Array([1]), 'body is binary data, expected a JSON object or an array of objects'],
  ])('rejects %j with BODY_SHAPE', (data, message) => {
    const error = convertError(init, data)
    expect(error.code).toBe('BODY_SHAPE')
    expect(error.message).toBe(message)
  })
})

describe('createJsonConverter: timestamps', () => {
  it('uses one timestamp for all keys of a request (50 keys → one entry)', () => {
    const timeseries = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: '${v}', type: 'int' as const }))
    const result = convert({ deviceName: 'D', timeseries }, { v: 1 })
    expect(result.records[0]?.telemetry).toHaveLength(1)
    expect(Object.keys(result.records[0]?.telemetry[0]?.values ?? {})).toHaveLength(50)
    expect(result.records[0]?.telemetry[0]?.ts).toBe(T0)
  })

  it('takes body ts, else timestamp, else the arrival time', () => {
    const init = { deviceName: 'D', timeseries: [{ key: 't', value: '${t}', type: 'double' as const }] }
    expect(convert(init, { t: 1, ts: 1700000000001 }).records[0]?.telemetry[0]?.ts).toBe(1700000000001)
    expect(convert(init, { t: 1, ts: '1700000000' }).records[0]?.telemetry[0]?.ts).toBe(1700000000000)
    expect(convert(init, { t: 1, ts: '2024-01-02T03:04:05Z' }).records[0]?.telemetry[0]?.ts).toBe(1704164645000)
    expect(convert(init, { t: 1, timestamp: 1700000000123 }).records[0]?.telemetry[0]?.ts).toBe(1700000000123)
    expect(convert(init, { t: 1 }).records[0]?.telemetry[0]?.ts).toBe(T0)
  })

  it('warns about an unparsable body ts and tries timestamp, then the arrival time', () => {
    const init = { deviceName: 'D', timeseries: [{ key: 't', value: '${t}', type: 'double' as const }] }
    const result = convert(init, { t: 1, ts: 'soon', timestamp: 1700000000123 })
    expect(result.records[0]?.telemetry).toEqual([{ ts: 1700000000123, values: { t: 1 } }])
    expect(result.dropped).toEqual([
      { path: 'mapping[0].converter', key: 'ts', reason: 'body "ts" "soon" is not a timestamp; used the request arrival time', warning: true },
    ])
  })

  it('reads tsField by path, or searches its last key anywhere, with dayfirst', () => {
    const init = {
      deviceName: 'D',
      timeseries: [
        { key: 'a', value: '${a}', type: 'int' as const, tsField: '${meta.time}' },
        { key: 'b', value: '${b}', type: 'int' as const, tsField: '${D1234.stamp}', dayfirst: true },
        { key: 'c', value: '${c}', type: 'int' as const },
      ],
    }
    const result = convert(init, { a: 1, b: 2, c: 3, meta: { time: 1600000000 }, deep: { x: { stamp: '02/01/2024 00:00:00 +0000' } } })
    expect(result.records[0]?.telemetry).toEqual([
      { ts: 1600000000000, values: { a: 1 } },
      { ts: T0, values: { c: 3 } },
      { ts: Date.UTC(2024, 0, 2), values: { b: 2 } },
    ])
    expect(result.dropped).toEqual([])
  })

  it('accepts a plain field name and a text template as tsField', () => {
    const init = {
      deviceName: 'D',
      timeseries: [
        { key: 'a', value: '${a}', type: 'int' as const, tsField: 'when' },
        { key: 'b', value: '${b}', type: 'int' as const, tsField: '${date}T${time}Z' },
      ],
    }
    const result = convert(init, { a: 1, b: 2, when: 1700000000555, date: '2024-01-02', time: '03:04:05' })
    expect(result.records[0]?.telemetry).toEqual([
      { ts: 1700000000555, values: { a: 1 } },
      { ts: 1704164645000, values: { b: 2 } },
    ])
  })

  it('falls back to the request timestamp with a warning when tsField is missing or unparsable', () => {
    const init = {
      deviceName: 'D',
      timeseries: [
        { key: 'a', value: '${a}', type: 'int' as const, tsField: '${time}' },
        { key: 'b', value: '${b}', type: 'int' as const, tsField: '${nothere}' },
      ],
    }
    const result = convert(init, { a: 1, b: 2, time: 'garbage', ts: 1700000000999 })
    expect(result.records[0]?.telemetry).toEqual([{ ts: 1700000000999, values: { a: 1, b: 2 } }])
    expect(result.dropped).toEqual([
      {
        path: 'mapping[0].converter.timeseries[0].tsField',
        key: 'a',
        reason: 'cannot parse "garbage" from ${time} as a timestamp; used the request timestamp',
        warning: true,
      },
      { path: 'mapping[0].converter.timeseries[1].tsField', key: 'b', reason: 'missing ${nothere} (tsField); used the request timestamp', warning: true },
    ])
  })

  it('resolves a tsField shared by several items once per element', () => {
    const init = {
      deviceName: 'D',
      timeseries: [
        { key: 'a', value: '${a}', type: 'int' as const, tsField: '${time}' },
        { key: 'b', value: '${b}', type: 'int' as const, tsField: '${time}' },
      ],
    }
    const result = convert(init, { a: 1, b: 2, time: 'bad' })
    expect(result.records[0]?.telemetry).toEqual([{ ts: T0, values: { a: 1, b: 2 } }])
    expect(result.dropped).toHaveLength(1)
  })

  it('gives every array element its own body timestamp', () => {
    const init = { deviceName: '${id}', timeseries: [{ key: 't', value: '${t}', type: 'int' as const }] }
    const result = convert(init, [
      { id: 'A', t: 1, ts: 1700000000001 },
      { id: 'B', t: 2 },
    ])
    expect(result.records.map((r) => r.telemetry[0]?.ts)).toEqual([1700000000001, T0])
  })
})

describe('createJsonConverter: purity', () => {
  it('does not mutate the data and gives the same result twice', () => {
    const converter = createJsonConverter(
      createTestConverterConfig({ deviceName: '${id}', attributes: [{ key: 'm', value: '${m}' }], timeseries: [{ key: 't', value: '${t}', type: 'double' }] }),
    )
    const data = Object.freeze({ id: 'X', m: Object.freeze({ a: 1 }), t: '1.5' })
    const first = converter.convert(data, request)
    const second = converter.convert(data, request)
    expect(first).toEqual(second)
    expect(first).toEqual({
      records: [{ deviceName: 'X', deviceType: 'default', attributes: { m: '{"a":1}' }, telemetry: [{ ts: T0, values: { t: 1.5 } }] }],
      dropped: [],
    })
  })
})

describe('createJsonConverter: long arrays are converted in chunks', () => {
  const init: TestConverterConfigInit = { deviceName: '${n}', timeseries: [{ key: 't', value: '${t}', type: 'double' }] }

  it('up to CHUNK_ELEMENTS elements: a plain result, at once', () => {
    const out = createJsonConverter(createTestConverterConfig(init)).convert(
      Array.from({ length: CHUNK_ELEMENTS }, (_, i) => ({ n: `D${i}`, t: i })),
      request,
    )
    expect(out).not.toBeInstanceOf(Promise)
    expect((out as ConvertResult).records).toHaveLength(CHUNK_ELEMENTS)
  })

  it('more: a promise, with turns of the event loop between chunks; the same records in order, dropped with their index', async () => {
    const n = CHUNK_ELEMENTS * 4 + 3
    const data = Array.from({ length: n }, (_, i) => (i === n - 1 ? { n: `D${i}`, t: Number.POSITIVE_INFINITY } : { n: `D${i}`, t: i }))
    const probe = turnProbe()
    const out = createJsonConverter(createTestConverterConfig(init)).convert(data, request)
    expect(out).toBeInstanceOf(Promise)
    const result = await out
    probe.stop()
    // 5 chunks: other callbacks ran between them
    expect(probe.turns).toBeGreaterThanOrEqual(4)
    expect(result.records.map((r) => r.deviceName)).toEqual(data.slice(0, n - 1).map((d) => d.n))
    expect(result.dropped).toEqual([
      { path: 'mapping[0].converter.timeseries[0].value', key: 't', index: n - 1, reason: 'cannot cast Infinity to double: not a finite number' },
    ])
  })

  it('two long bodies at once: never more than one chunk of either in a turn of the event loop (one shared queue of turns)', async () => {
    const probe = turnProbe()
    const perTurn = probe.perTurn
    /** An element whose `n` notes the turn that read it. */
    const element = (i: number): Record<string, unknown> => {
      const e: Record<string, unknown> = { t: i }
      Object.defineProperty(e, 'n', { enumerable: true, get: () => (probe.touch(), `D${i}`) })
      return e
    }
    const converter = createJsonConverter(createTestConverterConfig(init))
    const n = CHUNK_ELEMENTS * 6
    const [a, b] = await Promise.all([
      converter.convert(
        Array.from({ length: n }, (_, i) => element(i)),
        request,
      ),
      converter.convert(
        Array.from({ length: n }, (_, i) => element(i)),
        request,
      ),
    ])
    probe.stop()
    expect(a.records).toHaveLength(n)
    expect(b.records.map((r) => r.telemetry[0]?.values.t)).toEqual(Array.from({ length: n }, (_, i) => i))
    // each element's name is read once: 2n reads, a chunk's worth per turn at most
    expect([...perTurn.values()].reduce((x, y) => x + y, 0)).toBe(2 * n)
    expect(Math.max(...perTurn.values())).toBe(CHUNK_ELEMENTS)
    expect(perTurn.size).toBe(12)
  })

  it('a bad element in a later chunk rejects the whole conversion (nothing half-converted is returned)', async () => {
    const data: unknown[] = Array.from({ length: CHUNK_ELEMENTS * 2 }, (_, i) => ({ n: `D${i}`, t: i }))
    data[CHUNK_ELEMENTS + 1] = 7
    await expect(createJsonConverter(createTestConverterConfig(init)).convert(data, request)).rejects.toMatchObject({ code: 'BODY_SHAPE' })
  })
})
