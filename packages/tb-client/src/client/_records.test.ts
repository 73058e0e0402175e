import { describe, expect, it } from 'vitest'
import { toStoredRecords } from './_records.ts'

describe('toStoredRecords', () => {
  it('stamps receivedAt and connectorName, defaults the type, leaves out empty parts and empty records', () => {
    const out = toStoredRecords(
      [
        { deviceName: 'A', attributes: { a: 1 }, telemetry: [] },
        {
          deviceName: 'B',
          deviceType: 'pump',
          telemetry: [
            { ts: 1, values: {} },
            { ts: 2, values: { v: 1 } },
          ],
        },
        { deviceName: 'C', attributes: {}, telemetry: [{ ts: 1, values: {} }] },
      ],
      'Conn',
      42,
    )
    expect(out).toEqual([
      { deviceName: 'A', deviceType: 'default', attributes: { a: 1 }, connectorName: 'Conn', receivedAt: 42 },
      { deviceName: 'B', deviceType: 'pump', telemetry: [{ ts: 2, values: { v: 1 } }], connectorName: 'Conn', receivedAt: 42 },
    ])
  })

  it('names the offending field', () => {
    const cases: Array<[unknown, string]> = [
      [[null], 'records[0]: expected an object'],
      [[{ deviceName: 1 }], 'records[0].deviceName'],
      [[{ deviceName: 'A', deviceType: 3 }], 'records[0].deviceType'],
      [[{ deviceName: 'A', attributes: [] }], 'records[0].attributes'],
      [[{ deviceName: 'A', telemetry: {} }], 'records[0].telemetry'],
      [[{ deviceName: 'A', telemetry: [{ ts: Number.NaN, values: {} }] }], 'records[0].telemetry[0].ts'],
      [[{ deviceName: 'A', telemetry: [{ ts: 1, values: null }] }], 'records[0].telemetry[0].values'],
      ['nope', 'records: expected an array'],
    ]
    for (const [input, text] of cases) {
      expect(() => toStoredRecords(input as never, undefined, 0)).toThrow(
        expect.objectContaining({ code: 'INVALID_RECORD', message: expect.stringContaining(text) }),
      )
    }
  })
})
