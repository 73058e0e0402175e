/**
 * RPCs addressed to the gateway device itself: `v1/devices/me/rpc/request/{id}` in,
 * `v1/devices/me/rpc/response/{id}` out. The aedes broker plays ThingsBoard; as a plain broker it
 * also echoes the client's own publishes, which must never be taken for requests or limits.
 */
import { describe, expect, it } from 'vitest'
import type { GatewayRpcEvent, TbClient } from '../src/client/types.ts'
import { waitUntil, type TestBroker } from './_broker.ts'
import { broker, client, connectedOnce } from './_helpers.ts'

const REQUEST = 'v1/devices/me/rpc/request/'
const RESPONSE = 'v1/devices/me/rpc/response/'

async function ready(c: TbClient, b: TestBroker): Promise<void> {
  await connectedOnce(c)
  await waitUntil(() => b.subscribed.has(`${REQUEST}+`) && b.subscribed.has('v1/gateway/rpc'), 'the subscriptions')
}

describe('gateway RPC (v1/devices/me/rpc/request/+)', () => {
  it('emits gatewayRpc {id, method, params}; the reply goes to v1/devices/me/rpc/response/{id} at QoS 1', async () => {
    const b = await broker()
    const c = client(b)
    const seen: GatewayRpcEvent[] = []
    c.on('gatewayRpc', (e) => seen.push(e))
    await ready(c, b)
    const params = 'requestUrlExpression=http://127.0.0.1:5001/light;value=1;'
    await b.publish(`${REQUEST}25`, { method: 'rest_get', params })
    await b.publish(`${REQUEST}26`, { method: 'gateway_ping', params: {} })
    await b.publish(`${REQUEST}0`, { method: 'gateway_ping' })
    await waitUntil(() => seen.length === 3, 'three gateway RPCs')
    expect(seen).toEqual([
      { id: 25, method: 'rest_get', params },
      { id: 26, method: 'gateway_ping', params: {} },
      { id: 0, method: 'gateway_ping', params: undefined },
    ])
    await c.replyGatewayRpc(25, { result: { level: 3 } })
    await c.replyGatewayRpc(26, { code: 200, resp: 'pong' })
    await c.replyGatewayRpc('0', undefined)
    expect(b.publishes.filter((p) => p.topic.startsWith(RESPONSE)).map((p) => [p.topic, p.payload, p.qos])).toEqual([
      [`${RESPONSE}25`, '{"result":{"level":3}}', 1],
      [`${RESPONSE}26`, '{"code":200,"resp":"pong"}', 1],
      [`${RESPONSE}0`, 'null', 1],
    ])
    // the device RPC path is untouched
    expect(b.on('v1/gateway/rpc')).toEqual([])
  })

  it('ignores malformed requests with a debug log and keeps going', async () => {
    const b = await broker()
    const c = client(b)
    const seen: GatewayRpcEvent[] = []
    c.on('gatewayRpc', (e) => seen.push(e))
    c.on('rpc', (e) => seen.push(e as never))
    await ready(c, b)
    await b.publish(`${REQUEST}1`, '{bad')
    await b.publish(`${REQUEST}2`, '[1,2]')
    await b.publish(`${REQUEST}3`, { params: {} })
    await b.publish(`${REQUEST}4`, { method: '' })
    await b.publish(`${REQUEST}5`, { method: 42 })
    await b.publish(`${REQUEST}abc`, { method: 'gateway_ping' })
    await b.publish(`${REQUEST}-1`, { method: 'gateway_ping' })
    await b.publish(`${REQUEST}07`, { method: 'gateway_ping' })
    await b.publish(`${REQUEST}99999999999999999999`, { method: 'gateway_ping' })
    await b.publish(`${REQUEST}9`, { method: 'last', params: { ok: true } })
    await waitUntil(() => seen.length > 0, 'the final valid request')
    expect(seen).toEqual([{ id: 9, method: 'last', params: { ok: true } }])
    expect(c.log.find('debug', 'malformed JSON').length).toBe(1)
    expect(c.log.find('debug', 'not a gateway RPC request').length).toBe(4)
    expect(c.log.find('debug', 'not an integer').length).toBe(4)
    expect(c.stats().connected).toBe(true)
  })

  it('never takes its own getSessionLimits request or its own replies (echoed by a plain broker) for RPCs or limits', async () => {
    const b = await broker()
    // answer getSessionLimits as ThingsBoard does, on the response topic of the request id
    b.onPublish((p) => {
      const id = p.topic.startsWith(REQUEST) ? p.topic.slice(REQUEST.length) : undefined
      if (id !== undefined && (p.json() as { method?: string }).method === 'getSessionLimits') {
        void b.publish(`${RESPONSE}${id}`, { maxPayloadSize: 65536, maxInflightMessages: 100 })
      }
    })
    const c = client(b, { requestSessionLimits: true })
    const seen: GatewayRpcEvent[] = []
    c.on('gatewayRpc', (e) => seen.push(e))
    await ready(c, b)
    await waitUntil(() => c.log.find('info', 'applied ThingsBoard session limits').length === 1, 'the limits')
    const own = b.publishes.find((p) => p.topic.startsWith(REQUEST))!
    expect(own.payload).toBe('{"method":"getSessionLimits","params":{"timeout":5000}}')
    await waitUntil(() => c.log.find('debug', 'our own getSessionLimits request echoed').length === 1, 'the echo to be ignored')

    // ThingsBoard's own RPC ids may equal the limits request id: the request and our reply stay apart
    const limitsId = Number(own.topic.slice(REQUEST.length))
    await b.publish(`${REQUEST}${limitsId}`, { method: 'gateway_ping', params: {} })
    await waitUntil(() => seen.length === 1, 'the gateway RPC')
    expect(seen).toEqual([{ id: limitsId, method: 'gateway_ping', params: {} }])
    await c.replyGatewayRpc(limitsId, { maxPayloadSize: 100, maxInflightMessages: 1 })
    await waitUntil(() => c.log.find('debug', 'ignored a reply on v1/devices/me/rpc/response').length >= 1, 'our echoed reply to be ignored')
    expect(c.log.find('info', 'applied ThingsBoard session limits')).toHaveLength(1)
    expect(seen).toHaveLength(1)

    // the limits in force are still the first ones: two 500-byte datapoints go out in one message (not split at 80 bytes)
    await c.send([{ deviceName: 'D', telemetry: [{ ts: 1, values: { a: 'x'.repeat(500), b: 'y'.repeat(500) } }] }])
    expect(await c.flush(5000)).toBe(true)
    expect(b.on('v1/gateway/telemetry')).toHaveLength(1)
  })

  it('queues replies while offline and sends them after reconnect; invalid ids are refused', async () => {
    const b = await broker()
    const c = client(b)
    await ready(c, b)
    await b.stop()
    await waitUntil(() => !c.stats().connected, 'the client to notice')
    const later = c.replyGatewayRpc(7, { result: 'late but delivered' })
    await b.restart()
    await later
    expect(b.on(`${RESPONSE}7`).map((p) => [p.payload, p.qos])).toEqual([['{"result":"late but delivered"}', 1]])
    for (const id of [-1, 1.5, '', 'a/b', '+', '#'] as const) {
      await expect(c.replyGatewayRpc(id, {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
    await expect(c.replyGatewayRpc(8, { big: 10n })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('warns when nothing listens, so an unanswered gateway RPC is visible', async () => {
    const b = await broker()
    const c = client(b)
    await ready(c, b)
    await b.publish(`${REQUEST}31`, { method: 'gateway_ping', params: {} })
    await waitUntil(() => c.log.find('warn', 'gateway RPC "gateway_ping" id 31 not answered').length === 1, 'the warning')
    expect(b.publishes.filter((p) => p.topic.startsWith(RESPONSE))).toEqual([])
  })
})
