import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { StoredEntry, StoredRecord } from '@restgate/storage'
import { planPack, type PlanContext } from './_payload.ts'

const ctx = (over: Partial<PlanContext> = {}): PlanContext => ({
  isConnected: () => false,
  needsDescription: () => false,
  connectorType: 'rest',
  connectorName: 'REST Connector',
  maxPayloadBytes: 8196,
  ...over,
})
const entries = (records: Array<Partial<StoredRecord> & { deviceName: string }>): StoredEntry[] =>
  records.map((r, i) => ({ id: i + 1, record: { deviceType: 'default', receivedAt: 0, ...r } }))

/** Compared after a JSON round trip (-0 is sent as 0). */
const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v))
const byDevice = (list: Array<[string, ...unknown[]]>, d: string): unknown[] => list.filter((x) => x[0] === d)

/**
 * An undefined value is absent from JSON either way, but forces the per-datapoint path (added to
 * non-empty objects only: an empty object means "no attributes").
 */
const slow = <T extends object>(o: T): T => (Object.keys(o).length === 0 ? o : { ...o, zzSlowPath: undefined })

describe('planPack', () => {
  it('connects each unconnected device once, with its first type ("" → default)', () => {
    const plan = planPack(
      entries([{ deviceName: 'A', deviceType: '' }, { deviceName: 'B', deviceType: 'pump' }, { deviceName: 'A', deviceType: 'other' }, { deviceName: 'C' }]),
      ctx({ isConnected: (d) => d === 'C' }),
    )
    expect(plan.connects).toEqual([
      { device: 'A', payload: '{"device":"A","type":"default"}' },
      { device: 'B', payload: '{"device":"B","type":"pump"}' },
    ])
    expect(plan.messages).toEqual([])
  })

  it('escapes device names and keys as JSON', () => {
    const plan = planPack(
      entries([{ deviceName: 'Dev "1"\n', attributes: { 'k"ey': 'v\\' }, telemetry: [{ ts: 5, values: { ü: '€' } }] }]),
      ctx({ isConnected: () => true }),
    )
    for (const m of plan.messages) expect(() => JSON.parse(m.payload)).not.toThrow()
    expect(plan.messages.map((m) => JSON.parse(m.payload))).toEqual([{ 'Dev "1"\n': { 'k"ey': 'v\\' } }, { 'Dev "1"\n': [{ ts: 5, values: { ü: '€' } }] }])
  })

  it('puts attribute rounds before telemetry and counts datapoints', () => {
    const plan = planPack(
      entries([
        { deviceName: 'A', attributes: { x: 1 }, telemetry: [{ ts: 1, values: { t: 1, u: 2 } }] },
        { deviceName: 'A', attributes: { x: 2 } },
      ]),
      ctx({ isConnected: () => true }),
    )
    expect(plan.messages).toEqual([
      { topic: 'v1/gateway/attributes', payload: '{"A":{"x":1}}', datapoints: 1 },
      { topic: 'v1/gateway/attributes', payload: '{"A":{"x":2}}', datapoints: 1 },
      { topic: 'v1/gateway/telemetry', payload: '{"A":[{"ts":1,"values":{"t":1,"u":2}}]}', datapoints: 2 },
    ])
  })

  it('adds connector attributes for devices that need a description, record connectorName first', () => {
    const plan = planPack(
      entries([
        { deviceName: 'A', connectorName: 'Mine', telemetry: [{ ts: 1, values: { t: 1 } }] },
        { deviceName: 'B', attributes: { connectorName: 'user wins' } },
      ]),
      ctx({ isConnected: () => true, needsDescription: () => true }),
    )
    expect(plan.described).toEqual(['A', 'B'])
    expect(plan.messages[0]?.payload).toBe('{"A":{"connectorType":"rest","connectorName":"Mine"},"B":{"connectorType":"rest","connectorName":"user wins"}}')
  })

  it('never exceeds the limit unless a single datapoint does, and loses nothing (property)', () => {
    const record = fc.record({
      deviceName: fc.constantFrom('A', 'B', 'Gerät "Ü"', 'D'.repeat(30)),
      attributes: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 40 }), fc.boolean())), {
        nil: undefined,
      }),
      telemetry: fc.array(
        fc.record({
          ts: fc.integer({ min: 0 }),
          values: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 60 }))),
        }),
        { maxLength: 4 },
      ),
    })
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), fc.integer({ min: 60, max: 600 }), (records, limit) => {
        const plan = planPack(entries(records), ctx({ isConnected: () => true, maxPayloadBytes: limit }))
        const oversized = new Set(plan.oversize.map((o) => `${o.device}\u0000${o.key}`))
        const gotTelemetry: Array<[string, number, string, unknown]> = []
        const gotAttributes = new Map<string, Array<[string, unknown]>>()
        for (const m of plan.messages) {
          const body = JSON.parse(m.payload) as Record<string, unknown>
          const over = Buffer.byteLength(m.payload) > limit
          if (over) {
            // only a message carrying one oversize datapoint may be over the limit
            expect(m.datapoints).toBe(1)
          }
          for (const [device, value] of Object.entries(body)) {
            if (m.topic === 'v1/gateway/telemetry') {
              for (const e of value as Array<{ ts: number; values: Record<string, unknown> }>) {
                for (const [k, v] of Object.entries(e.values)) {
                  gotTelemetry.push([device, e.ts, k, v])
                  if (over) expect(oversized.has(`${device}\u0000${k}`)).toBe(true)
                }
              }
            } else {
              const list = gotAttributes.get(device) ?? []
              list.push(...Object.entries(value as Record<string, unknown>))
              gotAttributes.set(device, list)
            }
          }
        }
        const wantTelemetry = records.flatMap((r) => r.telemetry.flatMap((e) => Object.entries(e.values).map(([k, v]) => [r.deviceName, e.ts, k, json(v)])))
        for (const d of new Set(records.map((r) => r.deviceName))) {
          expect(byDevice(gotTelemetry, d)).toEqual(byDevice(wantTelemetry as Array<[string, ...unknown[]]>, d))
          const wantAttrs = records
            .filter((r) => r.deviceName === d && r.attributes && Object.keys(r.attributes).length > 0)
            .flatMap((r) => Object.entries(json(r.attributes ?? {}) as object))
          expect(gotAttributes.get(d) ?? []).toEqual(wantAttrs)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('sends whole objects exactly as the per-datapoint path would, splits included (property)', () => {
    const value = fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 30 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
    )
    const record = fc.record({
      deviceName: fc.constantFrom('A', 'B', 'Gerät "Ü"', 'D'.repeat(30)),
      attributes: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 5 }), { nil: undefined }),
      telemetry: fc.array(fc.record({ ts: fc.integer({ min: 0 }), values: fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 5 }) }), {
        maxLength: 3,
      }),
    })
    fc.assert(
      fc.property(fc.array(record, { maxLength: 10 }), fc.integer({ min: 40, max: 400 }), fc.boolean(), (records, limit, described) => {
        const c = ctx({ isConnected: () => true, maxPayloadBytes: limit, needsDescription: () => described })
        const fast = planPack(entries(records), c)
        const slowRecords = records.map((r) => ({
          ...r,
          ...(r.attributes === undefined ? {} : { attributes: slow(r.attributes) }),
          telemetry: r.telemetry.map((e) => ({ ts: e.ts, values: slow(e.values) })),
        }))
        expect(fast).toEqual(planPack(entries(slowRecords), c))
      }),
      { numRuns: 400 },
    )
  })
})
