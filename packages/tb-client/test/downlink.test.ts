import { describe, expect, it } from 'vitest'
import type { AttributeUpdateEvent, RpcEvent } from '../src/client/types.ts'
import { waitUntil } from './_broker.ts'
import { broker, client, connectedOnce, subscribed } from './_helpers.ts'

describe('messages from ThingsBoard', () => {
  it('subscribes on every CONNACK and emits attributeUpdate / rpc with the Gateway API shapes', async () => {
    const b = await broker()
    const c = client(b)
    const updates: AttributeUpdateEvent[] = []
    const rpcs: RpcEvent[] = []
    c.on('attributeUpdate', (e) => updates.push(e))
    c.on('rpc', (e) => rpcs.push(e))
    await subscribed(c, b)
    await b.publish('v1/gateway/attributes', { device: 'SN-001', data: { firmware: '1.3', n: 2 } })
    await b.publish('v1/gateway/rpc', { device: 'SN-001', data: { id: 11, method: 'echo', params: { x: 1 } } })
    await b.publish('v1/gateway/rpc', { device: 'SN-002', data: { id: 'a-1', method: 'noParams' } })
    await waitUntil(() => rpcs.length === 2, 'two RPC events')
    expect(updates).toEqual([{ device: 'SN-001', data: { firmware: '1.3', n: 2 } }])
    expect(rpcs).toEqual([
      { device: 'SN-001', data: { id: 11, method: 'echo', params: { x: 1 } } },
      { device: 'SN-002', data: { id: 'a-1', method: 'noParams', params: undefined } },
    ])

    // after a reconnect the subscriptions are made again (clean session)
    await b.stop()
    await b.restart()
    await subscribed(c, b)
    await b.publish('v1/gateway/rpc', { device: 'SN-003', data: { id: 12, method: 'again', params: null } })
    await waitUntil(() => rpcs.length > 2, 'an RPC after the reconnect')
    expect(rpcs[2]).toEqual({ device: 'SN-003', data: { id: 12, method: 'again', params: null } })
  })

  it('ignores echoes of its own publishes, malformed JSON and wrong shapes, with a debug log', async () => {
    const b = await broker()
    const c = client(b)
    const events: unknown[] = []
    c.on('attributeUpdate', (e) => events.push(e))
    c.on('rpc', (e) => events.push(e))
    await subscribed(c, b)
    // our own attribute publish and RPC reply come back from a plain broker
    await c.send([{ deviceName: 'device', attributes: { data: { x: 1 } } }])
    await c.replyRpc('SN-001', 5, { id: 1, method: 'looks-like-a-request' })
    await c.flush(5000)
    for (const bad of ['{bad', '[1,2]', '"text"', '{"device":5,"data":{}}', '{"device":"X","data":[1]}', '{"device":"X"}']) {
      await b.publish('v1/gateway/attributes', bad)
      await b.publish('v1/gateway/rpc', bad)
    }
    await b.publish('v1/gateway/rpc', { device: 'X', data: { id: 1 } })
    await b.publish('v1/gateway/rpc', { device: 'X', data: { method: 'm' } })
    await b.publish('v1/gateway/attributes/response', { device: 'X', value: 1 })
    await b.publish('v1/gateway/attributes', { device: 'LAST', data: { ok: true } })
    await waitUntil(() => events.length > 0, 'the final valid update')
    expect(events).toEqual([{ device: 'LAST', data: { ok: true } }])
    expect(c.log.find('debug', 'malformed JSON').length).toBeGreaterThanOrEqual(2)
    expect(c.log.find('debug', 'our own publish echoed').length).toBeGreaterThanOrEqual(1)
    expect(c.log.find('debug', 'our own reply echoed').length).toBeGreaterThanOrEqual(1)
    expect(c.stats().connected).toBe(true)
  })

  it('a throwing or rejecting listener is logged and does not stop other listeners', async () => {
    const b = await broker()
    const c = client(b)
    const seen: string[] = []
    c.on('rpc', () => {
      throw new Error('boom')
    })
    c.on('rpc', async () => {
      throw new Error('async boom')
    })
    c.on('rpc', (e) => seen.push(e.device))
    await subscribed(c, b)
    await b.publish('v1/gateway/rpc', { device: 'D', data: { id: 1, method: 'm' } })
    await waitUntil(() => seen.length > 0, 'the rpc event')
    await waitUntil(() => c.log.find('error', 'listener failed').length >= 2, 'both failures logged')
  })
})

async function setup() {
  const b = await broker()
  const c = client(b)
  await subscribed(c, b)
  return { b, c }
}

describe('attribute requests', () => {
  it('publishes the request and resolves with the response of the same id, whatever the order of replies', async () => {
    const { b, c } = await setup()
    const requests: Array<{ id: number; device: string; client: boolean; keys: string[] }> = []
    b.onPublish((p) => {
      if (p.topic === 'v1/gateway/attributes/request') requests.push(p.json() as (typeof requests)[number])
    })
    const first = c.requestAttributes({ device: 'SN-001', keys: ['model'], client: false }, 5000)
    const second = c.requestAttributes({ device: 'SN-002', keys: ['model', 'fw'], client: true }, 5000)
    await waitUntil(() => requests.length === 2, 'both requests')
    const [r1, r2] = requests as [(typeof requests)[number], (typeof requests)[number]]
    expect(b.on('v1/gateway/attributes/request').map((p) => [p.payload, p.qos])).toEqual([
      [`{"id":${r1.id},"device":"SN-001","client":false,"keys":["model"]}`, 1],
      [`{"id":${r2.id},"device":"SN-002","client":true,"keys":["model","fw"]}`, 1],
    ])
    expect(r1.id).not.toBe(r2.id)
    await b.publish('v1/gateway/attributes/response', { id: r2.id, device: 'SN-002', values: { model: 'M2', fw: '1.0' } })
    await b.publish('v1/gateway/attributes/response', { id: r1.id, device: 'SN-001', value: 'T1000' })
    expect(await first).toEqual({ id: r1.id, device: 'SN-001', value: 'T1000' })
    expect(await second).toEqual({ id: r2.id, device: 'SN-002', values: { model: 'M2', fw: '1.0' } })
  })

  it('times out with TIMEOUT; the late reply is dropped and never reaches the next request', async () => {
    const { b, c } = await setup()
    const ids: number[] = []
    b.onPublish((p) => {
      if (p.topic === 'v1/gateway/attributes/request') ids.push((p.json() as { id: number }).id)
    })
    await expect(c.requestAttributes({ device: 'SN-1', keys: ['k'], client: false }, 100)).rejects.toMatchObject({
      code: 'TIMEOUT',
      name: 'TbClientError',
    })
    const next = c.requestAttributes({ device: 'SN-2', keys: ['k'], client: false }, 5000)
    await waitUntil(() => ids.length === 2, 'the second request')
    await b.publish('v1/gateway/attributes/response', { id: ids[0], device: 'SN-1', value: 'LATE' })
    await waitUntil(() => c.log.find('debug', 'attribute response dropped').length === 1, 'the late reply to be dropped')
    await b.publish('v1/gateway/attributes/response', { id: ids[1], device: 'SN-2', value: 'MINE' })
    expect(await next).toEqual({ id: ids[1], device: 'SN-2', value: 'MINE' })
  })

  it('rejects NOT_CONNECTED when offline, and when the connection drops while waiting', async () => {
    const { b, c } = await setup()
    const waiting = c.requestAttributes({ device: 'SN-1', keys: ['k'], client: false }, 10_000)
    await waitUntil(() => b.on('v1/gateway/attributes/request').length === 1, 'the request')
    const rejected = expect(waiting).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    await b.stop()
    await rejected
    await waitUntil(() => !c.stats().connected, 'the client to notice')
    await expect(c.requestAttributes({ device: 'SN-1', keys: ['k'], client: false }, 1000)).rejects.toMatchObject({
      code: 'NOT_CONNECTED',
    })
    await expect(c.requestAttributes({ device: '', keys: [], client: false }, 1000)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})

describe('RPC replies', () => {
  it('publishes {"device","id","data"} at QoS 1 and resolves on PUBACK', async () => {
    const b = await broker()
    const c = client(b)
    await connectedOnce(c)
    await c.replyRpc('SN-001', 11, { result: { ok: true } })
    expect(b.on('v1/gateway/rpc').map((p) => [p.payload, p.qos])).toEqual([['{"device":"SN-001","id":11,"data":{"result":{"ok":true}}}', 1]])
    await expect(c.replyRpc('SN-001', 12, { big: 10n })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('keeps replies made while offline in a bounded queue and sends them after reconnect', async () => {
    const b = await broker()
    const c = client(b, { rpcReplyQueueSize: 2 })
    await connectedOnce(c)
    await b.stop()
    await waitUntil(() => !c.stats().connected, 'the client to notice')
    const dropped = c.replyRpc('D', 1, { result: 1 })
    const kept = [c.replyRpc('D', 2, { result: 2 }), c.replyRpc('D', 3, { error: 'x', code: 500 })]
    await expect(dropped).rejects.toMatchObject({ code: 'NOT_CONNECTED', message: expect.stringContaining('queue full') })
    await b.restart()
    await Promise.all(kept)
    expect(b.on('v1/gateway/rpc').map((p) => p.payload)).toEqual([
      '{"device":"D","id":2,"data":{"result":2}}',
      '{"device":"D","id":3,"data":{"error":"x","code":500}}',
    ])
  })

  it('queueRpcReply takes a reply at once; one unconfirmed at a disconnect is sent again; losses reach onLost', async () => {
    const b = await broker()
    const c = client(b, { rpcReplyQueueSize: 2 })
    await connectedOnce(c)
    const lost: Array<{ code: string; message: string }> = []
    const onLost = (error: { code: string; message: string }): void => {
      lost.push({ code: error.code, message: error.message })
    }
    expect(() => c.queueRpcReply('D', 9, { big: 10n }, onLost)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => c.queueGatewayRpcReply('a/b', {}, onLost)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    b.holdPubacks()
    for (const id of [1, 2, 3]) expect(c.queueRpcReply('D', id, { result: id }, onLost)).toBeUndefined()
    c.queueGatewayRpcReply(7, { pong: true }, onLost)
    await waitUntil(() => b.heldCount() === 4, 'four replies at the broker, unconfirmed')
    // the connection ends before the PUBACKs: the four go back to the offline queue (2), oldest dropped first
    await b.stop()
    b.releasePubacks()
    await waitUntil(() => lost.length === 2, 'two replies lost to the full offline queue')
    expect(lost).toEqual([
      { code: 'NOT_CONNECTED', message: 'RPC reply for device "D" id 1 dropped: offline queue full' },
      { code: 'NOT_CONNECTED', message: 'RPC reply for device "D" id 2 dropped: offline queue full' },
    ])
    expect(c.log.find('warn', 'dropped: offline queue full (2)')).toHaveLength(2)
    const before = b.publishes.length
    await b.restart()
    await waitUntil(() => b.publishes.length >= before + 2, 'the kept replies sent again after the reconnect')
    expect(b.publishes.slice(before).map((p) => [p.topic, p.payload])).toEqual([
      ['v1/gateway/rpc', '{"device":"D","id":3,"data":{"result":3}}'],
      ['v1/devices/me/rpc/response/7', '{"pong":true}'],
    ])
    // replies still waiting when the client stops are lost, counted once each, with one summary line
    await b.stop()
    await waitUntil(() => !c.stats().connected, 'the client to notice')
    c.queueRpcReply('D', 4, { result: 4 }, onLost)
    await c.stop()
    expect(lost.slice(2)).toEqual([{ code: 'STOPPED', message: 'RPC reply for device "D" id 4 not sent: client stopped' }])
    expect(c.log.find('warn', '1 RPC reply not sent: client stopped')).toHaveLength(1)
    expect(() => c.queueRpcReply('D', 5, {}, onLost)).toThrow(expect.objectContaining({ code: 'STOPPED' }))
  })
})
