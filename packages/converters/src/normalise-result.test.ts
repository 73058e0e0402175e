import { describe, expect, it } from 'vitest'
import { ConverterError } from './errors.ts'
import { NORMALISE_SLICE, normaliseResult, toUplinkConverter } from './normalise-result.ts'
import { createRequestInfo } from './request-info.ts'
import { turnProbe } from './_turn-probe.ts'
import type { ConvertResult, UplinkRecordInput } from './types.ts'

const T0 = 1_700_000_000_000
const request = createRequestInfo({ receivedAt: T0 })
const LABEL = 'custom converter "X" (mapping[1].converter)'

function messageOf(output: unknown): string {
  try {
    normaliseResult(output, request, LABEL)
  } catch (e) {
    expect(ConverterError.is(e) && e.code).toBe('CONVERTER_RESULT')
    return (e as Error).message
  }
  throw new Error('expected CONVERTER_RESULT')
}

describe('normaliseResult', () => {
  it('accepts one record and fills the defaults', () => {
    expect(normaliseResult({ deviceName: 'CustomDev', telemetry: [{ ts: 1700000000000, values: { len: 24 } }] }, request, LABEL)).toEqual({
      records: [{ deviceName: 'CustomDev', deviceType: 'default', attributes: {}, telemetry: [{ ts: 1700000000000, values: { len: 24 } }] }],
      dropped: [],
    })
  })

  it('accepts a list of records and a ConvertResult, keeping dropped entries', () => {
    const list = [
      { deviceName: 'A', deviceType: 'Meter', attributes: { fw: '1.0' } },
      { deviceName: 'B', telemetry: [{ values: { v: 1 } }] },
    ]
    const expected: ConvertResult = {
      records: [
        { deviceName: 'A', deviceType: 'Meter', attributes: { fw: '1.0' }, telemetry: [] },
        { deviceName: 'B', deviceType: 'default', attributes: {}, telemetry: [{ ts: T0, values: { v: 1 } }] },
      ],
      dropped: [],
    }
    expect(normaliseResult(list, request, LABEL)).toEqual(expected)
    const dropped = [{ path: 'x', reason: 'y' }]
    expect(normaliseResult({ records: list, dropped }, request, LABEL)).toEqual({ ...expected, dropped })
  })

  it('merges telemetry entries with the same ts, sorts them and leaves out empty ones', () => {
    const result = normaliseResult(
      {
        deviceName: 'A',
        telemetry: [
          { ts: 2, values: { b: 1 } },
          { ts: 1, values: { a: 1 } },
          { ts: 2, values: { c: 1 } },
          { ts: 3, values: {} },
        ],
      },
      request,
      LABEL,
    )
    expect(result.records[0]?.telemetry).toEqual([
      { ts: 1, values: { a: 1 } },
      { ts: 2, values: { b: 1, c: 1 } },
    ])
  })

  it('leaves out records without attributes and telemetry', () => {
    expect(normaliseResult([{ deviceName: 'A' }, { deviceName: 'B', attributes: {}, telemetry: [] }], request, LABEL)).toEqual({ records: [], dropped: [] })
    expect(normaliseResult([], request, LABEL)).toEqual({ records: [], dropped: [] })
  })

  it.each([
    [undefined, 'expected a record { deviceName, ... }, an array of records or { records, dropped }, got undefined'],
    [{ name: 'x' }, 'expected a record { deviceName, ... }, an array of records or { records, dropped }, got an object'],
    [{ deviceName: '' }, 'record.deviceName must be a non-empty string, got string ""'],
    [{ deviceName: 5 }, 'record.deviceName must be a non-empty string, got number 5'],
    [[{ deviceName: 'A' }, { deviceName: null }], 'records[1].deviceName must be a non-empty string, got null'],
    [{ deviceName: 'A', deviceType: 3 }, 'record.deviceType must be a string, got number 3'],
    [{ deviceName: 'A', telemetry: { v: 1 } }, 'record.telemetry must be an array of { ts, values }, got an object'],
    [{ deviceName: 'A', telemetry: [{ ts: '1', values: { v: 1 } }] }, 'record.telemetry[0].ts must be a number (epoch milliseconds), got string "1"'],
    [{ deviceName: 'A', telemetry: [{ ts: 1 }] }, 'record.telemetry[0].values must be an object of key → value, got undefined'],
    [{ deviceName: 'A', telemetry: [5] }, 'record.telemetry[0] must be an object { ts, values }, got number 5'],
    [{ deviceName: 'A', attributes: [1] }, 'record.attributes must be an object of key → value, got an array'],
    [{ deviceName: 'A', attributes: { v: Number.NaN } }, 'record.attributes["v"] is NaN, not a finite number'],
    [{ deviceName: 'A', attributes: { v: undefined } }, 'record.attributes["v"] is undefined, not a JSON value'],
    [{ deviceName: 'A', attributes: { v: null } }, 'record.attributes["v"] is null'],
    [{ deviceName: 'A', attributes: { v: new Uint8Array(2) } }, 'record.attributes["v"] is binary data, not a JSON value (encode it, e.g. as base64 text)'],
    [{ deviceName: 'A', telemetries: [] }, 'record has an unknown key "telemetries" (a record has deviceName, deviceType, attributes, telemetry)'],
    [{ records: 'x' }, 'records must be an array, got string "x"'],
    [{ records: [], dropped: [{ path: 1 }] }, 'dropped[0] must be an object { path: string, reason: string }'],
  ])('rejects %j saying what is wrong', (output, what) => {
    expect(messageOf(output)).toBe(`${LABEL} returned an invalid result: ${what}`)
  })
})

describe('toUplinkConverter', () => {
  it('keeps a sync converter sync and an async one async', async () => {
    const sync = toUplinkConverter({ convert: () => ({ deviceName: 'A', attributes: { a: 1 } }) }, LABEL)
    const out = sync.convert({}, request)
    expect(out).toEqual({ records: [{ deviceName: 'A', deviceType: 'default', attributes: { a: 1 }, telemetry: [] }], dropped: [] })
    const asyncConverter = toUplinkConverter({ convert: async () => [{ deviceName: 'A', attributes: { a: 1 } }] }, LABEL)
    const pending = asyncConverter.convert({}, request)
    expect(pending).toBeInstanceOf(Promise)
    expect(await pending).toEqual(out)
  })

  it('wraps exceptions as CONVERTER_FAILED with the cause, sync and async', async () => {
    const boom = new Error('boom')
    const sync = toUplinkConverter(
      {
        convert: () => {
          throw boom
        },
      },
      LABEL,
    )
    expect(() => sync.convert({}, request)).toThrowError(expect.objectContaining({ code: 'CONVERTER_FAILED', message: `${LABEL} failed: boom`, cause: boom }))
    const asyncConverter = toUplinkConverter({ convert: () => Promise.reject(boom) }, LABEL)
    await expect(asyncConverter.convert({}, request)).rejects.toMatchObject({ code: 'CONVERTER_FAILED', cause: boom })
  })

  it('lets a ConverterError through unchanged (e.g. DEVICE_NAME_MISSING → 400)', async () => {
    const error = new ConverterError('DEVICE_NAME_MISSING', 'no serial in the frame')
    const converter = toUplinkConverter(
      {
        convert: async () => {
          throw error
        },
      },
      LABEL,
    )
    await expect(converter.convert({}, request)).rejects.toBe(error)
  })

  it('rejects an invalid async result with CONVERTER_RESULT', async () => {
    const converter = toUplinkConverter({ convert: async () => ({ deviceName: '' }) as never }, LABEL)
    await expect(converter.convert({}, request)).rejects.toMatchObject({ code: 'CONVERTER_RESULT' })
  })

  it('calls convert as a method (this is the converter)', () => {
    class Counter {
      count = 0
      convert(): { deviceName: string; attributes: Record<string, unknown> } {
        this.count++
        return { deviceName: 'C', attributes: { n: this.count } }
      }
    }
    const converter = toUplinkConverter(new Counter(), LABEL)
    expect((converter.convert({}, request) as ConvertResult).records[0]?.attributes).toEqual({ n: 1 })
  })
})

describe('toUplinkConverter: a long result', () => {
  it('is checked a slice per turn of the event loop, in order, all or nothing', async () => {
    const probe = turnProbe()
    const perTurn = probe.perTurn
    const record = (i: number): Record<string, unknown> => {
      const r: Record<string, unknown> = { attributes: { i } }
      Object.defineProperty(r, 'deviceName', { enumerable: true, get: () => (probe.touch(), `D${i}`) })
      return r
    }
    const n = NORMALISE_SLICE * 5 + 1
    const out = toUplinkConverter({ convert: () => Array.from({ length: n }, (_, i) => record(i)) as unknown as UplinkRecordInput[] }, 'custom').convert(
      {},
      createRequestInfo({ receivedAt: 1 }),
    )
    expect(out).toBeInstanceOf(Promise)
    const result = await out
    probe.stop()
    expect(result.records.map((r) => r.attributes.i)).toEqual(Array.from({ length: n }, (_, i) => i))
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(NORMALISE_SLICE)
    expect(perTurn.size).toBe(6)
    const bad: unknown[] = Array.from({ length: n }, (_, i) => ({ deviceName: `D${i}`, attributes: { i } }))
    bad[n - 1] = { deviceName: '' }
    await expect(
      toUplinkConverter({ convert: () => ({ records: bad as UplinkRecordInput[] }) }, 'custom').convert({}, createRequestInfo({ receivedAt: 1 })),
    ).rejects.toMatchObject({
      code: 'CONVERTER_RESULT',
      message: expect.stringContaining(`records[${n - 1}].deviceName`),
    })
  })
})
