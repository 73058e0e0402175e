/**
 * The uplink cases 1–20 of docs/spec/original-behaviour.md section 7, at converter level, as restgate
 * answers them (docs/spec/DECISIONS.md where it differs from the original). Ingest merges path params, query
 * (query wins) and body into `data` before the converter runs; the data below is that merged dict.
 * Cases 5, 6 and 13 are decided before a converter runs (routing, methods, auth): their converter
 * side is covered where data does reach it (5: empty data, 13: see 14).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConverterError } from '../src/errors.ts'
import { createJsonConverter } from '../src/json-converter.ts'
import { loadConverter } from '../src/load-converter.ts'
import { createRequestInfo } from '../src/request-info.ts'
import { createTestConverterConfig } from '../src/test-config.ts'
import type { ConvertResult, RequestInfo, UplinkConverter } from '../src/types.ts'
import { makeTree } from './_fixtures.ts'

const NOW = 1_732_000_000_000
const req = (init: Partial<RequestInfo> = {}): RequestInfo => createRequestInfo({ receivedAt: NOW, ...init })

/** Config A: shipped `/my_devices`. */
const A = createJsonConverter(
  createTestConverterConfig({
    path: 'mapping[0].converter',
    deviceName: '${sensorName}',
    deviceType: '${sensorType}',
    attributes: [
      { type: 'string', key: 'model', value: '${sensorModel}' },
      { type: 'string', key: 'certificateNumber', value: '${certificateNumber}' },
    ],
    timeseries: [
      { type: 'double', key: 'temperature', value: '${temp}' },
      { type: 'double', key: 'humidity', value: '${hum}' },
    ],
  }),
)

/** Config B: shipped `/anon1` (constant name and profile). */
const B = createJsonConverter(
  createTestConverterConfig({
    path: 'mapping[1].converter',
    deviceName: 'Device 2',
    deviceNameSource: 'constant',
    deviceType: 'default',
    deviceTypeSource: 'constant',
    attributes: [{ type: 'string', key: 'model', value: 'Model2' }],
    timeseries: [
      { type: 'double', key: 'temperature', value: '${temp}' },
      { type: 'double', key: 'humidity', value: '${hum}' },
    ],
  }),
)

/** Config C: `/basic` (name `Device ${name}`, constant profile `thermo`). */
const C = createJsonConverter(
  createTestConverterConfig({
    path: 'mapping[2].converter',
    deviceName: 'Device ${name}',
    deviceType: 'thermo',
    deviceTypeSource: 'constant',
    timeseries: [{ type: 'double', key: 'temperature', value: '${temp}' }],
  }),
)

async function run(converter: UplinkConverter, data: unknown, request: RequestInfo = req()): Promise<ConvertResult> {
  return converter.convert(data, request)
}

async function fails(converter: UplinkConverter, data: unknown): Promise<ConverterError> {
  try {
    await converter.convert(data, req())
  } catch (e) {
    if (ConverterError.is(e)) return e
    throw e
  }
  throw new Error('expected a ConverterError')
}

const A_HUM = 'mapping[0].converter.timeseries[1].value'
const A_MODEL = 'mapping[0].converter.attributes[0].value'
const A_CERT = 'mapping[0].converter.attributes[1].value'
const B_TEMP = 'mapping[1].converter.timeseries[0].value'
const B_HUM = 'mapping[1].converter.timeseries[1].value'

describe('docs/spec/original-behaviour.md §7 uplink cases, as restgate answers them', () => {
  it('1: full body → typed values, one telemetry entry at the arrival time', async () => {
    const body = { sensorName: 'SN-001', sensorType: 'Thermometer', sensorModel: 'T1000', certificateNumber: 'C-42', temp: 23.5, hum: 60 }
    expect(await run(A, body)).toEqual({
      records: [
        {
          deviceName: 'SN-001',
          deviceType: 'Thermometer',
          attributes: { model: 'T1000', certificateNumber: 'C-42' },
          telemetry: [{ ts: NOW, values: { temperature: 23.5, humidity: 60 } }],
        },
      ],
      dropped: [],
    })
  })

  it('2: missing type → "default" (not "${sensorType}"); missing fields dropped and reported', async () => {
    expect(await run(A, { sensorName: 'SN-002', temp: 1 })).toEqual({
      records: [{ deviceName: 'SN-002', deviceType: 'default', attributes: {}, telemetry: [{ ts: NOW, values: { temperature: 1 } }] }],
      dropped: [
        { path: A_MODEL, key: 'model', reason: 'missing ${sensorModel}' },
        { path: A_CERT, key: 'certificateNumber', reason: 'missing ${certificateNumber}' },
        { path: A_HUM, key: 'humidity', reason: 'missing ${hum}' },
      ],
    })
  })

  it('3: missing device name → DEVICE_NAME_MISSING naming the expression (400), no "${sensorName}" device', async () => {
    const error = await fails(A, { temp: 1 })
    expect(error.code).toBe('DEVICE_NAME_MISSING')
    expect(error.message).toBe(
      'no device name: expression "${sensorName}" (mapping[0].converter.deviceInfo.deviceNameExpression) has no value: missing ${sensorName}',
    )
  })

  it('4: GET query strings are cast to numbers', async () => {
    expect(await run(B, { temp: '20.5', hum: '30' }, req({ method: 'GET', query: { temp: '20.5', hum: '30' } }))).toEqual({
      records: [
        {
          deviceName: 'Device 2',
          deviceType: 'default',
          attributes: { model: 'Model2' },
          telemetry: [{ ts: NOW, values: { temperature: 20.5, humidity: 30 } }],
        },
      ],
      dropped: [],
    })
  })

  it('5: no data at all → the constants still form a record; the missing values are reported', async () => {
    expect(await run(B, {}, req({ method: 'GET' }))).toEqual({
      records: [{ deviceName: 'Device 2', deviceType: 'default', attributes: { model: 'Model2' }, telemetry: [] }],
      dropped: [
        { path: B_TEMP, key: 'temperature', reason: 'missing ${temp}' },
        { path: B_HUM, key: 'humidity', reason: 'missing ${hum}' },
      ],
    })
  })

  it('7: form fields (strings) are cast by type', async () => {
    expect(await run(B, { temp: '21', hum: '31' }, req({ contentType: 'application/x-www-form-urlencoded' }))).toEqual({
      records: [
        { deviceName: 'Device 2', deviceType: 'default', attributes: { model: 'Model2' }, telemetry: [{ ts: NOW, values: { temperature: 21, humidity: 31 } }] },
      ],
      dropped: [],
    })
  })

  it('8: a text body → only the constant attribute; temperature and humidity reported missing', async () => {
    expect(await run(B, { text: 'hello world' }, req({ contentType: 'text/plain' }))).toEqual({
      records: [{ deviceName: 'Device 2', deviceType: 'default', attributes: { model: 'Model2' }, telemetry: [] }],
      dropped: [
        { path: B_TEMP, key: 'temperature', reason: 'missing ${temp}' },
        { path: B_HUM, key: 'humidity', reason: 'missing ${hum}' },
      ],
    })
  })

  it('9: a JSON array converts every element (SN-B is not lost)', async () => {
    expect(
      await run(A, [
        { sensorName: 'SN-A', temp: 1 },
        { sensorName: 'SN-B', temp: 2 },
      ]),
    ).toEqual({
      records: [
        { deviceName: 'SN-A', deviceType: 'default', attributes: {}, telemetry: [{ ts: NOW, values: { temperature: 1 } }] },
        { deviceName: 'SN-B', deviceType: 'default', attributes: {}, telemetry: [{ ts: NOW, values: { temperature: 2 } }] },
      ],
      dropped: [
        { path: A_MODEL, key: 'model', reason: 'missing ${sensorModel}', index: 0 },
        { path: A_CERT, key: 'certificateNumber', reason: 'missing ${certificateNumber}', index: 0 },
        { path: A_HUM, key: 'humidity', reason: 'missing ${hum}', index: 0 },
        { path: A_MODEL, key: 'model', reason: 'missing ${sensorModel}', index: 1 },
        { path: A_CERT, key: 'certificateNumber', reason: 'missing ${certificateNumber}', index: 1 },
        { path: A_HUM, key: 'humidity', reason: 'missing ${hum}', index: 1 },
      ],
    })
  })

  it('10: a JSON scalar body → BODY_SHAPE (400, not 500)', async () => {
    const error = await fails(A, 42)
    expect(error.code).toBe('BODY_SHAPE')
    expect(error.message).toBe('body is a number, expected a JSON object or an array of objects')
  })

  it('11: invalid JSON never reaches the converter as text (ingest answers 400); as text data it still has no device name', async () => {
    expect((await fails(A, { text: '{bad' })).code).toBe('DEVICE_NAME_MISSING')
  })

  it('12: the query value (merged over the body by ingest) is the one converted', async () => {
    const result = await run(A, { sensorName: 'SN-Q', temp: '99' }, req({ query: { temp: '99' } }))
    expect(result.records).toEqual([{ deviceName: 'SN-Q', deviceType: 'default', attributes: {}, telemetry: [{ ts: NOW, values: { temperature: 99 } }] }])
  })

  it('14: basic-auth endpoint → "Device X" of type thermo; without a name (GET, no query) the name is missing', async () => {
    expect(await run(C, { name: 'X', temp: 5 })).toEqual({
      records: [{ deviceName: 'Device X', deviceType: 'thermo', attributes: {}, telemetry: [{ ts: NOW, values: { temperature: 5 } }] }],
      dropped: [],
    })
    const error = await fails(C, {})
    expect(error.code).toBe('DEVICE_NAME_MISSING')
    expect(error.message).toContain('expression "Device ${name}" (mapping[2].converter.deviceInfo.deviceNameExpression) has no value: missing ${name}')
  })

  it('15: a path parameter in data names the device', async () => {
    const P = createJsonConverter(
      createTestConverterConfig({ path: 'mapping[3].converter', deviceName: '${name}', timeseries: [{ type: 'double', key: 't', value: '${t}' }] }),
    )
    expect(await run(P, { name: 'Pump-7', t: 3 }, req({ path: '/dev/Pump-7', params: { name: 'Pump-7' } }))).toEqual({
      records: [{ deviceName: 'Pump-7', deviceType: 'default', attributes: {}, telemetry: [{ ts: NOW, values: { t: 3 } }] }],
      dropped: [],
    })
  })

  it('16: multipart fields → one telemetry entry (one timestamp per request)', async () => {
    expect(await run(B, { temp: '22', hum: '33', meta: { k: 1 } }, req({ contentType: 'multipart/form-data; boundary=x' }))).toEqual({
      records: [
        { deviceName: 'Device 2', deviceType: 'default', attributes: { model: 'Model2' }, telemetry: [{ ts: NOW, values: { temperature: 22, humidity: 33 } }] },
      ],
      dropped: [],
    })
  })

  it('17: 50 items → one telemetry entry with all 50 keys', async () => {
    const timeseries = Array.from({ length: 50 }, (_, i) => ({ type: 'int' as const, key: `v${i}`, value: '${v}' }))
    const converter = createJsonConverter(createTestConverterConfig({ deviceName: 'D', timeseries }))
    const result = await run(converter, { v: 1 })
    expect(result.records[0]?.telemetry).toEqual([{ ts: NOW, values: Object.fromEntries(timeseries.map((t) => [t.key, 1])) }])
  })

  describe('18: timestamps', () => {
    const T = createJsonConverter(
      createTestConverterConfig({ deviceName: '${sensorName}', timeseries: [{ type: 'double', key: 't', value: '${t}', tsField: '${time}' }] }),
    )
    const plain = createJsonConverter(createTestConverterConfig({ deviceName: '${sensorName}', timeseries: [{ type: 'double', key: 't', value: '${t}' }] }))

    it('tsField ISO time → its epoch ms', async () => {
      expect(await run(T, { sensorName: 'A', t: 1, time: '2024-01-02T03:04:05Z' })).toEqual({
        records: [{ deviceName: 'A', deviceType: 'default', attributes: {}, telemetry: [{ ts: 1704164645000, values: { t: 1 } }] }],
        dropped: [],
      })
    })

    it('unparsable tsField → the request time, with a warning', async () => {
      expect(await run(T, { sensorName: 'A', t: 1, time: 'garbage' })).toEqual({
        records: [{ deviceName: 'A', deviceType: 'default', attributes: {}, telemetry: [{ ts: NOW, values: { t: 1 } }] }],
        dropped: [
          {
            path: 'mapping[0].converter.timeseries[0].tsField',
            key: 't',
            reason: 'cannot parse "garbage" from ${time} as a timestamp; used the request timestamp',
            warning: true,
          },
        ],
      })
    })

    it('body ts and body timestamp without tsField', async () => {
      expect((await run(plain, { sensorName: 'A', t: 1, ts: 1700000000000 })).records[0]?.telemetry).toEqual([{ ts: 1700000000000, values: { t: 1 } }])
      expect((await run(plain, { sensorName: 'A', t: 1, timestamp: 1700000000123 })).records[0]?.telemetry).toEqual([{ ts: 1700000000123, values: { t: 1 } }])
    })
  })

  it('19: paths, wildcards, typed bool/string and a partial template', async () => {
    const converter = createJsonConverter(
      createTestConverterConfig({
        path: 'mapping[5].converter',
        deviceName: 'D',
        timeseries: [
          { type: 'int', key: 't0', value: '${values[0]}' },
          { type: 'int', key: 't1', value: '${values[1].v}' },
          { type: 'int', key: 'all', value: '${items[*].v}' },
          { type: 'bool', key: 'on', value: '${on}' },
          { type: 'string', key: 'o', value: '${o}' },
          { type: 'string', key: 'pair', value: '${hum}:${temp}' },
        ],
      }),
    )
    expect(await run(converter, { values: [7, { v: 8 }], items: [{ v: 1 }, { v: 2 }], on: true, o: { a: 1, b: [1, 2] }, temp: 1 })).toEqual({
      records: [
        {
          deviceName: 'D',
          deviceType: 'default',
          attributes: {},
          telemetry: [{ ts: NOW, values: { t0: 7, t1: 8, all: 1, on: true, o: '{"a":1,"b":[1,2]}' } }],
        },
      ],
      dropped: [{ path: 'mapping[5].converter.timeseries[5].value', key: 'pair', reason: 'missing ${hum}' }],
    })
  })

  describe('20: custom converters get the raw bytes; typed values are preserved', () => {
    let tree: { dir: string; cleanup: () => Promise<void> }
    beforeAll(async () => {
      tree = await makeTree({
        'extensions/rest/MyCustomRestConverter.mjs': `export class MyCustomRestConverter {
          convert(data, request) {
            return { deviceName: 'CustomDev', telemetry: [{ ts: 1700000000000, values: { len: 24, bytes: Array.from(request.body) } }] }
          }
        }\n`,
        'extensions/rest/ReturnsJunk.mjs': 'export default { convert() { return { len: 24 } } }\n',
      })
    })
    afterAll(async () => {
      await tree.cleanup()
    })

    it('binary body 00 01 02 → CustomDev with the number 24 and the raw bytes', async () => {
      const converter = await loadConverter(createTestConverterConfig({ path: 'mapping[6].converter', extension: 'MyCustomRestConverter' }), {
        configDir: tree.dir,
      })
      const request = req({ body: new Uint8Array([0, 1, 2]), contentType: 'application/octet-stream' })
      expect(await run(converter, { text: '\u0000\u0001\u0002' }, request)).toEqual({
        records: [
          { deviceName: 'CustomDev', deviceType: 'default', attributes: {}, telemetry: [{ ts: 1700000000000, values: { len: 24, bytes: [0, 1, 2] } }] },
        ],
        dropped: [],
      })
    })

    it('a body that is not UTF-8 (FF FE 00) still reaches the converter as bytes', async () => {
      const converter = await loadConverter(createTestConverterConfig({ extension: 'MyCustomRestConverter' }), { configDir: tree.dir })
      const result = await run(converter, {}, req({ body: new Uint8Array([0xff, 0xfe, 0x00]), contentType: 'application/octet-stream' }))
      expect(result.records[0]?.telemetry[0]?.values).toEqual({ len: 24, bytes: [255, 254, 0] })
    })

    it('a result without deviceName → CONVERTER_RESULT saying what is wrong (500)', async () => {
      const converter = await loadConverter(createTestConverterConfig({ path: 'mapping[7].converter', extension: 'ReturnsJunk' }), { configDir: tree.dir })
      await expect(run(converter, {})).rejects.toMatchObject({
        code: 'CONVERTER_RESULT',
        message:
          'custom converter "ReturnsJunk" (mapping[7].converter) returned an invalid result: expected a record { deviceName, ... }, an array of records or { records, dropped }, got an object',
      })
    })
  })
})
