/**
 * `@restgate/sandbox/testing`'s startTestBroker, with a real mqtt.js client: the refusal code, the
 * recorded publishes and attempts, held and dropped PUBACKs, the plain broker's echo, and a restart
 * on the same port. (tb-client's integration tests use it for everything else, TLS included.)
 */
import { connectAsync } from 'mqtt'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { startTestBroker, type TestBroker, type TestBrokerOptions } from '../src/testing.ts'
import { connect, inbox } from './_helpers.ts'

async function testBroker(options?: TestBrokerOptions): Promise<TestBroker> {
  const broker = await startTestBroker(options)
  onTestFinished(() => broker.close())
  return broker
}

describe('startTestBroker', () => {
  it('passes username, password and client id to authenticate; a refusal is CONNACK 4, every attempt recorded', async () => {
    const seen: Array<[string | undefined, string | undefined, string]> = []
    const b = await testBroker({
      authenticate: (username, password, clientId) => {
        seen.push([username, password, clientId])
        return password === 'secret'
      },
    })
    const url = `mqtt://127.0.0.1:${b.port}`
    const refused = await connectAsync(url, { clientId: 'bad', username: 'u', password: 'wrong', reconnectPeriod: 0, connectTimeout: 5000 }).then(
      () => undefined,
      (error: unknown) => error as { code?: number },
    )
    expect(refused?.code).toBe(4)
    await connect(url, { clientId: 'good', username: 'u', password: 'secret' })
    expect(seen).toEqual([
      ['u', 'wrong', 'bad'],
      ['u', 'secret', 'good'],
    ])
    expect(b.attempts.map((a) => [a.clientId, a.username, a.accepted])).toEqual([
      ['bad', 'u', false],
      ['good', 'u', true],
    ])
    expect(b.connectedClients()).toBe(1)
  })

  it('records publishes with their client id, holds PUBACKs until released and drops them while set', async () => {
    const b = await testBroker()
    const c = await connect(`mqtt://127.0.0.1:${b.port}`, { clientId: 'c1' })
    const heard: string[] = []
    const off = b.onPublish((p) => heard.push(p.topic))

    await c.publishAsync('t/a', '{"n":1}', { qos: 1 })
    expect(b.on('t/a').map((p) => [p.clientId, p.qos, p.json()])).toEqual([['c1', 1, { n: 1 }]])

    b.holdPubacks()
    let acked = false
    const held = c.publishAsync('t/b', 'x', { qos: 1 }).then(() => (acked = true))
    await vi.waitFor(() => expect(b.heldCount()).toBe(1), { timeout: 5000 })
    await c.publishAsync('t/q0', 'y', { qos: 0 })
    await vi.waitFor(() => expect(b.on('t/q0')).toHaveLength(1), { timeout: 5000 })
    expect(acked).toBe(false)
    b.releasePubacks()
    await held
    expect(b.heldCount()).toBe(0)

    b.dropPubacks(true)
    let dropAcked = false
    // never acknowledged: it rejects "Connection closed" when the client ends after the test
    void c.publishAsync('t/c', 'z', { qos: 1 }).then(
      () => (dropAcked = true),
      () => undefined,
    )
    await vi.waitFor(() => expect(b.on('t/c')).toHaveLength(1), { timeout: 5000 })
    // a later QoS 0 publish has arrived after it; the dropped PUBACK was never sent
    await c.publishAsync('t/q0', 'w', { qos: 0 })
    await vi.waitFor(() => expect(b.on('t/q0')).toHaveLength(2), { timeout: 5000 })
    expect(dropAcked).toBe(false)
    expect(b.heldCount()).toBe(0)

    off()
    await c.publishAsync('t/q0', 'v', { qos: 0 })
    await vi.waitFor(() => expect(b.on('t/q0')).toHaveLength(3), { timeout: 5000 })
    expect(heard).toEqual(['t/a', 't/b', 't/q0', 't/c', 't/q0'])
  })

  it('echoes like a plain broker, publishes to subscribers, counts their PUBACKs and the subscribed filters', async () => {
    const b = await testBroker()
    const c = await connect(`mqtt://127.0.0.1:${b.port}`, { clientId: 'c1' })
    await c.subscribeAsync(['v1/gateway/rpc', 'v1/gateway/attributes'], { qos: 1 })
    expect(b.subscribed).toEqual(new Set(['v1/gateway/rpc', 'v1/gateway/attributes']))
    const got = inbox(c)
    await c.publishAsync('v1/gateway/rpc', '{"own":true}', { qos: 1 })
    await b.publish('v1/gateway/attributes', { device: 'SN-1', data: { a: 1 } })
    await vi.waitFor(() => expect(got).toHaveLength(2), { timeout: 5000 })
    expect(got.map((m) => [m.topic, m.payload])).toEqual([
      ['v1/gateway/rpc', { own: true }],
      ['v1/gateway/attributes', { device: 'SN-1', data: { a: 1 } }],
    ])
    await vi.waitFor(() => expect(b.acksFromClients()).toBe(2), { timeout: 5000 })
  })

  it('stop() drops every connection; restart() listens on the same port, records kept, subscriptions reset', async () => {
    const b = await testBroker()
    const port = b.port
    const c = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'c1' })
    await c.subscribeAsync('t/x', { qos: 1 })
    await c.publishAsync('t/x', '1', { qos: 1 })
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
    await b.stop()
    await closed
    expect(b.connectedClients()).toBe(0)
    await expect(b.publish('t/x', 'after stop')).rejects.toThrow(/stopped/)

    await b.restart()
    expect(b.port).toBe(port)
    expect(b.subscribed.size).toBe(0)
    const again = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'c2' })
    await again.publishAsync('t/x', '2', { qos: 1 })
    expect(b.on('t/x').map((p) => [p.clientId, p.payload])).toEqual([
      ['c1', '1'],
      ['c2', '2'],
    ])
  })
})
