import { describe, expect, it } from 'vitest'
import { devicesOf, parseUplink } from './_parse.ts'

const bytes = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))

describe('parseUplink', () => {
  it('reads connect with and without type', () => {
    expect(parseUplink('v1/gateway/connect', bytes({ device: 'D', type: 'T' })).event).toEqual({ kind: 'connect', device: 'D', type: 'T' })
    expect(parseUplink('v1/gateway/connect', bytes({ device: 'D' })).event).toEqual({ kind: 'connect', device: 'D', type: 'default' })
    expect(parseUplink('v1/gateway/connect', bytes({ device: '' })).problem).toContain('expected')
  })

  it('reads telemetry in the ts form, the values-only form, a single object, and numeric-string ts', () => {
    const p = parseUplink('v1/gateway/telemetry', bytes({ A: [{ ts: 1, values: { v: 1 } }, { w: 2 }], B: { ts: '5', values: { x: 1 } } }))
    expect(p.problem).toBeUndefined()
    expect(p.event).toEqual({
      kind: 'telemetry',
      items: [
        {
          device: 'A',
          entries: [
            { ts: 1, values: { v: 1 } },
            { ts: undefined, values: { w: 2 } },
          ],
        },
        { device: 'B', entries: [{ ts: 5, values: { x: 1 } }] },
      ],
    })
    expect(devicesOf(p.event)).toEqual(['A', 'B'])
  })

  it('reports telemetry entries it cannot use and keeps the rest', () => {
    const p = parseUplink('v1/gateway/telemetry', bytes({ A: [1, { ts: 1 }, { ts: 2, values: { ok: 1 } }] }))
    expect(p.problem).toBe('A[0]: entry is not an object; A[1]: entry has ts but no values object')
    expect(p.event).toEqual({ kind: 'telemetry', items: [{ device: 'A', entries: [{ ts: 2, values: { ok: 1 } }] }] })
    expect(parseUplink('v1/gateway/telemetry', bytes([1])).event).toBeUndefined()
  })

  it('reads attributes per device', () => {
    const p = parseUplink('v1/gateway/attributes', bytes({ A: { k: 1 }, B: 'x' }))
    expect(p.event).toEqual({ kind: 'attributes', items: [{ device: 'A', values: { k: 1 } }] })
    expect(p.problem).toBe('B: attributes are not an object')
  })

  it('reads attribute requests with "keys" or a single "key"', () => {
    expect(parseUplink('v1/gateway/attributes/request', bytes({ id: 3, device: 'D', client: true, keys: ['a', 'b'] })).event).toEqual({
      kind: 'attributeRequest',
      id: 3,
      device: 'D',
      client: true,
      keys: ['a', 'b'],
    })
    expect(parseUplink('v1/gateway/attributes/request', bytes({ id: 4, device: 'D', key: 'a' })).event).toMatchObject({ keys: ['a'], client: false })
    expect(parseUplink('v1/gateway/attributes/request', bytes({ id: 4, device: 'D', keys: [1] })).problem).toContain('keys')
    expect(parseUplink('v1/gateway/attributes/request', bytes({ device: 'D', keys: [] })).problem).toContain('expected')
  })

  it('reads RPC replies', () => {
    expect(parseUplink('v1/gateway/rpc', bytes({ device: 'D', id: 11, data: { result: 1 } })).event).toEqual({
      kind: 'rpcReply',
      device: 'D',
      id: 11,
      data: { result: 1 },
    })
    expect(parseUplink('v1/gateway/rpc', bytes({ device: 'D' })).kind).toBe('rpcReply')
  })

  it('tells getSessionLimits from other gateway RPCs and reads attribute requests of the gateway device', () => {
    const limits = parseUplink('v1/devices/me/rpc/request/7', bytes({ method: 'getSessionLimits', params: { timeout: 5000 } }))
    expect(limits).toMatchObject({ kind: 'sessionLimitsRequest', event: { kind: 'sessionLimitsRequest', requestId: '7' } })
    const other = parseUplink('v1/devices/me/rpc/request/8', bytes({ method: 'gateway_ping' }))
    expect(other).toMatchObject({ kind: 'deviceRpcRequest', event: { kind: 'deviceRpcRequest', requestId: '8', method: 'gateway_ping' } })
    expect(parseUplink('v1/devices/me/attributes/request/2', bytes({ sharedKeys: 'a' })).event).toEqual({ kind: 'deviceAttributeRequest', requestId: '2' })
  })

  it('marks malformed JSON and never throws', () => {
    const p = parseUplink('v1/gateway/telemetry', bytes('{"A":'))
    expect(p).toMatchObject({ kind: 'telemetry', malformed: true, payload: undefined, event: undefined, raw: '{"A":' })
    expect(p.problem).toMatch(/^malformed JSON: /)
    expect(parseUplink('v1/gateway/connect', new Uint8Array([0xff, 0xfe])).malformed).toBe(true)
  })

  it('records unknown topics as other', () => {
    expect(parseUplink('v1/devices/me/telemetry', bytes([{ ts: 1, values: {} }]))).toMatchObject({ kind: 'other', malformed: false, problem: undefined })
  })
})
