/** Issue 10: inbound flow control — a QoS 1 PUBACK is held until the application has taken the message. */
import { describe, expect, it } from 'vitest'
import { waitUntil } from './_broker.ts'
import { broker, client, subscribed } from './_helpers.ts'

describe('holdAcks', () => {
  it('holds the PUBACK of an RPC / attribute update until the listener promise settles; our own publishes are acknowledged meanwhile', async () => {
    const b = await broker()
    const c = client(b, { holdAcks: true })
    const gates: Array<() => void> = []
    const sizes: Array<number | undefined> = []
    c.on('rpc', (e) => {
      sizes.push(e.bytes)
      return new Promise<void>((resolve) => gates.push(resolve))
    })
    c.on('attributeUpdate', () => new Promise<void>((resolve) => gates.push(resolve)))
    await subscribed(c, b)
    await b.publish('v1/gateway/rpc', { device: 'D', data: { id: 1, method: 'm' } })
    await b.publish('v1/gateway/attributes', { device: 'D', data: { k: 1 } })
    await waitUntil(() => gates.length === 2, 'both events')
    expect(sizes[0]).toBe(JSON.stringify({ device: 'D', data: { id: 1, method: 'm' } }).length)
    expect(c.stats().heldAcks).toBe(2)
    // the parser is not held: an uplink publish gets its PUBACK while the two are held
    await c.send([{ deviceName: 'D2', telemetry: [{ ts: 1, values: { t: 1 } }] }])
    await c.flush(5000)
    expect(c.stats().acked).toBeGreaterThan(0)
    // a plain broker echoes our own publishes on subscribed topics; those are acknowledged at once
    const echoes = b.on('v1/gateway/attributes').length + b.on('v1/gateway/rpc').length
    await waitUntil(() => b.acksFromClients() === echoes, 'the echoes acknowledged, the two messages not')
    gates[1]?.()
    await waitUntil(() => b.acksFromClients() === echoes + 1, 'the attribute update PUBACK')
    expect(c.stats().heldAcks).toBe(1)
    gates[0]?.()
    await waitUntil(() => b.acksFromClients() === echoes + 2, 'the RPC PUBACK')
    expect(c.stats().heldAcks).toBe(0)
  })

  it('acknowledges at once without holdAcks, and beyond maxHeldAcks (counted)', async () => {
    const b = await broker()
    const plain = client(b)
    plain.on('rpc', () => new Promise<void>(() => undefined))
    await subscribed(plain, b)
    await b.publish('v1/gateway/rpc', { device: 'D', data: { id: 1, method: 'm' } })
    await waitUntil(() => b.acksFromClients() === 1, 'an immediate PUBACK')
    await plain.stop()

    const capped = client(b, { holdAcks: true, maxHeldAcks: 2 })
    let events = 0
    capped.on('rpc', () => {
      events++
      return new Promise<void>(() => undefined)
    })
    await subscribed(capped, b)
    const start = b.acksFromClients()
    for (let id = 0; id < 5; id++) await b.publish('v1/gateway/rpc', { device: 'D', data: { id, method: 'm' } })
    await waitUntil(() => events === 5, 'five events')
    await waitUntil(() => b.acksFromClients() === start + 3, 'three PUBACKs beyond the two held')
    expect(capped.stats()).toMatchObject({ heldAcks: 2, ackOverflow: 3 })
  })
})
