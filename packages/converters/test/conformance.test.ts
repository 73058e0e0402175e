import { describe, expect, it } from 'vitest'
import { defineConverter } from '../src/define-converter.ts'
import { createJsonConverter } from '../src/json-converter.ts'
import { assertConvertResult, createTestConverterConfig, testConverter, type ConverterTestCase } from '../src/testing.ts'

const config = createTestConverterConfig({
  deviceName: '${sensorName}',
  deviceType: '${sensorType}',
  attributes: [{ key: 'model', value: '${sensorModel}' }],
  timeseries: [
    { key: 'temperature', value: '${temp}', type: 'double' },
    { key: 'humidity', value: '${hum}', type: 'double' },
  ],
})

const cases: ConverterTestCase[] = [
  {
    name: 'a full body',
    data: { sensorName: 'SN-001', sensorType: 'Thermometer', sensorModel: 'T1000', temp: 23.5, hum: '60' },
    expect: {
      records: [
        {
          deviceName: 'SN-001',
          deviceType: 'Thermometer',
          attributes: { model: 'T1000' },
          telemetry: [{ ts: 1_700_000_000_000, values: { temperature: 23.5, humidity: 60 } }],
        },
      ],
      dropped: [],
    },
  },
  {
    name: 'an array of two devices',
    data: [
      { sensorName: 'A', temp: 1, hum: 2 },
      { sensorName: 'B', temp: 3, hum: 4, ts: 1_600_000_000 },
    ],
    expect: (result) => {
      expect(result.records.map((r) => [r.deviceName, r.telemetry[0]?.ts])).toEqual([
        ['A', 1_700_000_000_000],
        ['B', 1_600_000_000_000],
      ])
    },
  },
  { name: 'no device name', data: { temp: 1 }, expect: { error: 'DEVICE_NAME_MISSING' } },
  { name: 'a scalar body', data: 42, expect: { error: 'BODY_SHAPE' } },
]

testConverter('built-in JSON converter (ready object)', createJsonConverter(config), { config, cases })
testConverter(
  'built-in JSON converter (factory falling back to ctx.createJsonConverter)',
  defineConverter((_config, ctx) => ctx.createJsonConverter()),
  { config, cases },
)
testConverter(
  'an async custom converter',
  defineConverter(() => ({
    async convert(data, request) {
      const name = typeof data === 'object' && data !== null && 'id' in data ? String((data as { id: unknown }).id) : 'anonymous'
      return { deviceName: name, telemetry: [{ values: { bytes: request.body.length } }] }
    },
  })),
  {
    cases: [
      {
        name: 'counts body bytes',
        data: { id: 'X' },
        request: { body: new Uint8Array(5) },
        expect: {
          records: [{ deviceName: 'X', deviceType: 'default', attributes: {}, telemetry: [{ ts: 1_700_000_000_000, values: { bytes: 5 } }] }],
          dropped: [],
        },
      },
    ],
  },
)

describe('assertConvertResult (what the suite rejects)', () => {
  const record = { deviceName: 'A', deviceType: 'default', attributes: { a: 1 }, telemetry: [] }
  it('accepts a valid result', () => {
    expect(() => assertConvertResult({ records: [record], dropped: [{ path: 'p', reason: 'r' }] })).not.toThrow()
  })
  it.each([
    ['no object', 5],
    ['records missing', { dropped: [] }],
    ['dropped missing', { records: [] }],
    ['empty device name', { records: [{ ...record, deviceName: '' }], dropped: [] }],
    ['empty device type', { records: [{ ...record, deviceType: '' }], dropped: [] }],
    ['attributes not an object', { records: [{ ...record, attributes: [] }], dropped: [] }],
    ['ts not a number', { records: [{ ...record, telemetry: [{ ts: '1', values: { a: 1 } }] }], dropped: [] }],
    ['empty telemetry values', { records: [{ ...record, telemetry: [{ ts: 1, values: {} }] }], dropped: [] }],
    ['a record without data', { records: [{ ...record, attributes: {} }], dropped: [] }],
    ['a dropped entry without reason', { records: [], dropped: [{ path: 'p' }] }],
  ])('rejects %s', (_name, result) => {
    expect(() => assertConvertResult(result)).toThrow()
  })
})
