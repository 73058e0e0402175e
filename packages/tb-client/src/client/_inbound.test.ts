import { describe, expect, it } from 'vitest'
import { classifyInbound } from './_inbound.ts'

const msg = (topic: string, body: unknown) => classifyInbound(topic, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)))

describe('classifyInbound', () => {
  it('recognises the shapes ThingsBoard sends', () => {
    expect(msg('v1/gateway/attributes', { device: 'D', data: { a: 1 } })).toEqual({ kind: 'attributeUpdate', event: { device: 'D', data: { a: 1 } } })
    expect(msg('v1/gateway/rpc', { device: 'D', data: { id: 3, method: 'm', params: [1] } })).toEqual({
      kind: 'rpc',
      event: { device: 'D', data: { id: 3, method: 'm', params: [1] } },
    })
    expect(msg('v1/gateway/attributes/response', { id: 7, device: 'D', value: 'v' })).toEqual({
      kind: 'attributeResponse',
      id: 7,
      message: { id: 7, device: 'D', value: 'v' },
    })
    expect(msg('v1/devices/me/rpc/response/4', { maxPayloadSize: 1 })).toEqual({ kind: 'meRpcResponse', requestId: 4, body: { maxPayloadSize: 1 } })
  })

  it('ignores echoes of our own publishes and anything malformed', () => {
    const ignored = [
      msg('v1/gateway/attributes', { D: { a: 1 } }),
      msg('v1/gateway/attributes', { device: { model: 'x' } }),
      msg('v1/gateway/attributes', { device: 'D', data: [1] }),
      msg('v1/gateway/rpc', { device: 'D', id: 1, data: { id: 1, method: 'm' } }),
      msg('v1/gateway/rpc', { device: 'D', data: { id: true, method: 'm' } }),
      msg('v1/gateway/rpc', '{nope'),
      msg('v1/gateway/attributes/response', { id: '7' }),
      msg('v1/devices/me/rpc/response/x', {}),
      msg('other/topic', {}),
      msg('v1/gateway/attributes', 'null'),
    ]
    for (const m of ignored) expect(m.kind).toBe('ignored')
  })
})
