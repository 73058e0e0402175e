import { describe, expect, it } from 'vitest'
import { TbClientError } from '../errors.ts'
import { toAttributeRequestMessage, toGatewayMessages } from './to-gateway-messages.ts'

describe('toGatewayMessages', () => {
  it('connect, attributes with the connector description, telemetry — in the publisher order', () => {
    const { messages, dropped } = toGatewayMessages(
      [
        { deviceName: 'A', deviceType: 'T', attributes: { m: 'x' }, telemetry: [{ ts: 1, values: { v: 1.5 } }] },
        { deviceName: 'B', telemetry: [{ ts: 2, values: { v: 2 } }] },
      ],
      { connectorName: 'C1' },
    )
    expect(dropped).toEqual([])
    expect(messages).toEqual([
      { topic: 'v1/gateway/connect', payload: '{"device":"A","type":"T"}' },
      { topic: 'v1/gateway/connect', payload: '{"device":"B","type":"default"}' },
      {
        topic: 'v1/gateway/attributes',
        payload: '{"A":{"connectorType":"rest","connectorName":"C1","m":"x"},"B":{"connectorType":"rest","connectorName":"C1"}}',
      },
      { topic: 'v1/gateway/telemetry', payload: '{"A":[{"ts":1,"values":{"v":1.5}}],"B":[{"ts":2,"values":{"v":2}}]}' },
    ])
  })

  it('firstTime: false leaves out connects and descriptions; payloads split at the limit', () => {
    const values = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key${i}`, i]))
    const { messages } = toGatewayMessages([{ deviceName: 'A', telemetry: [{ ts: 1, values }] }], { firstTime: false, maxPayloadSizeBytes: 120 })
    expect(messages.length).toBeGreaterThan(1)
    for (const m of messages) {
      expect(m.topic).toBe('v1/gateway/telemetry')
      expect(Buffer.byteLength(m.payload)).toBeLessThanOrEqual(120)
    }
    const merged = Object.assign({}, ...messages.map((m) => (JSON.parse(m.payload) as { A: Array<{ values: object }> }).A[0]!.values))
    expect(merged).toEqual(values)
  })

  it('reports values that are not JSON and refuses records send() refuses', () => {
    const { dropped, messages } = toGatewayMessages([{ deviceName: 'A', telemetry: [{ ts: 1, values: { big: 1n, ok: 1 } }] }], { firstTime: false })
    expect(dropped).toEqual([{ device: 'A', key: 'big', reason: expect.stringContaining('BigInt') }])
    expect(messages).toEqual([{ topic: 'v1/gateway/telemetry', payload: '{"A":[{"ts":1,"values":{"ok":1}}]}' }])
    expect(() => toGatewayMessages([{ deviceName: '' }])).toThrow(TbClientError)
  })

  it('toAttributeRequestMessage', () => {
    expect(toAttributeRequestMessage({ device: 'D', keys: ['a', 'b'], client: true }, 7)).toEqual({
      topic: 'v1/gateway/attributes/request',
      payload: '{"id":7,"device":"D","client":true,"keys":["a","b"]}',
    })
  })
})
