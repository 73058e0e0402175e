import { describe, expect, it } from 'vitest'
import { OutboxFullError, TbClientError } from '../src/errors.ts'
import { createMemoryStorage } from '@restgate/storage/memory'
import { waitUntil } from './_broker.ts'
import { broker, client, connectedOnce } from './_helpers.ts'

const TS = 1_700_000_000_000
const rec = (device: string, seq: number) => ({ deviceName: device, deviceType: 'thermo', telemetry: [{ ts: TS + seq, values: { seq } }] })

describe('acknowledged delivery', () => {
  it('keeps records in storage until their PUBACK arrives', async () => {
    const b = await broker()
    const storage = createMemoryStorage()
    const c = client(b, { storage })
    await c.send([rec('A', 0)])
    expect(await c.flush(5000)).toBe(true)

    b.holdPubacks()
    await c.send([rec('A', 1)])
    await waitUntil(() => b.heldCount() === 1, 'the telemetry publish to arrive')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(storage.size()).toBe(1)
    expect(c.stats()).toMatchObject({ inFlight: 1, queued: 0, acked: 1 })
    expect(await c.flush(50)).toBe(false)

    b.releasePubacks()
    expect(await c.flush(5000)).toBe(true)
    expect(storage.size()).toBe(0)
    expect(c.stats().acked).toBe(2)
  })

  it('at QoS 0 acks once the message is written, and publishes at QoS 0', async () => {
    const b = await broker()
    const c = client(b, { qos: 0 })
    await c.send([rec('Q', 1)])
    expect(await c.flush(5000)).toBe(true)
    await waitUntil(() => b.publishes.length === 3, 'the broker to read the QoS 0 publishes')
    expect(b.publishes.map((p) => p.qos)).toEqual([0, 0, 0])
    expect(b.on('v1/gateway/telemetry')[0]?.payload).toBe(`{"Q":[{"ts":${TS + 1},"values":{"seq":1}}]}`)
  })

  it('connects every device again after a reconnect, also devices first seen while offline', async () => {
    const b = await broker()
    const c = client(b)
    await c.send([rec('A', 1)])
    expect(await c.flush(5000)).toBe(true)
    await b.stop()
    await waitUntil(() => !c.stats().connected, 'the client to notice')
    await c.send([rec('A', 2), rec('B', 3)])
    await b.restart()
    expect(await c.flush(5000)).toBe(true)
    expect(b.publishes.map((p) => [p.topic, p.payload]).filter(([t]) => t !== 'v1/gateway/attributes')).toEqual([
      ['v1/gateway/connect', '{"device":"A","type":"thermo"}'],
      ['v1/gateway/telemetry', `{"A":[{"ts":${TS + 1},"values":{"seq":1}}]}`],
      ['v1/gateway/connect', '{"device":"A","type":"thermo"}'],
      ['v1/gateway/connect', '{"device":"B","type":"thermo"}'],
      ['v1/gateway/telemetry', `{"A":[{"ts":${TS + 2},"values":{"seq":2}}],"B":[{"ts":${TS + 3},"values":{"seq":3}}]}`],
    ])
  })

  it('delivers everything, in order per device, when the broker stops under load and comes back on the same port', async () => {
    const b = await broker()
    const c = client(b, { readRecordsCount: 20 })
    const devices = ['D0', 'D1', 'D2', 'D3', 'D4']
    const total = 1000
    let stopped = false
    const off = b.onPublish(() => {
      if (!stopped && b.on('v1/gateway/telemetry').length >= 5) {
        stopped = true
        void b.stop().then(() => setTimeout(() => void b.restart(), 100))
      }
    })
    const sends: Array<Promise<void>> = []
    for (let i = 0; i < total; i++) {
      sends.push(c.send([rec(devices[i % devices.length] as string, i)]))
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(sends)
    await waitUntil(() => stopped, 'the broker to be stopped under load')
    expect(await c.flush(15_000)).toBe(true)
    off()

    // per connection (client id) and device, telemetry is strictly increasing and follows a connect
    const seen = new Map<string, number[]>()
    const bySession = new Map<string, { connected: Set<string>; last: Map<string, number> }>()
    for (const p of b.publishes) {
      let s = bySession.get(p.clientId)
      if (s === undefined) bySession.set(p.clientId, (s = { connected: new Set(), last: new Map() }))
      if (p.topic === 'v1/gateway/connect') s.connected.add((p.json() as { device: string }).device)
      if (p.topic !== 'v1/gateway/telemetry') continue
      for (const [device, entries] of Object.entries(p.json() as Record<string, Array<{ values: { seq: number } }>>)) {
        expect(s.connected.has(device)).toBe(true)
        for (const e of entries) {
          expect(e.values.seq).toBeGreaterThan(s.last.get(device) ?? -1)
          s.last.set(device, e.values.seq)
          seen.set(device, [...(seen.get(device) ?? []), e.values.seq])
        }
      }
    }
    expect(bySession.size).toBeGreaterThanOrEqual(2)
    for (const [i, device] of devices.entries()) {
      const expected = Array.from({ length: total / devices.length }, (_, k) => k * devices.length + i)
      const firstSeen = [...new Set(seen.get(device))]
      expect(firstSeen).toEqual(expected)
    }
    const stats = c.stats()
    expect(stats.acked).toBe(total)
    expect(stats.queued + stats.inFlight).toBe(0)
  })

  it('a missing PUBACK tears the connection down and the pack is re-sent (counted as resent)', async () => {
    const b = await broker()
    const c = client(b, { ackTimeoutMs: 200 })
    await c.send([rec('A', 1)])
    expect(await c.flush(5000)).toBe(true)
    b.dropPubacks(true)
    await c.send([rec('A', 2)])
    await waitUntil(() => b.on('v1/gateway/telemetry').length === 2, 'the unacknowledged publish')
    b.dropPubacks(false)
    expect(await c.flush(5000)).toBe(true)
    const telemetry = b.on('v1/gateway/telemetry').map((p) => p.payload)
    expect(telemetry.slice(1)).toEqual([`{"A":[{"ts":${TS + 2},"values":{"seq":2}}]}`, `{"A":[{"ts":${TS + 2},"values":{"seq":2}}]}`])
    expect(c.stats().resent).toBe(1)
    expect(c.log.find('warn', 'no PUBACK from ThingsBoard')).toHaveLength(1)
  })

  it('rejects OUTBOX_FULL with retryAfterSeconds when the storage is full', async () => {
    const storage = createMemoryStorage({ maxRecords: 2 })
    const b = await broker()
    await b.stop()
    const c = client(b, { storage })
    await c.send([rec('A', 1), rec('A', 2)])
    const error = await c.send([rec('A', 3)]).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(OutboxFullError.is(error)).toBe(true)
    expect(TbClientError.is(error)).toBe(true)
    expect(error).toMatchObject({ code: 'OUTBOX_FULL', name: 'OutboxFullError' })
    expect((error as OutboxFullError).retryAfterSeconds).toBeGreaterThanOrEqual(1)
    expect(storage.size()).toBe(2)
    await b.restart()
    expect(await c.flush(5000)).toBe(true)
    await c.send([rec('A', 3)])
    expect(await c.flush(5000)).toBe(true)
  })

  it('stop() while offline says how many records were not delivered', async () => {
    const b = await broker()
    await b.stop()
    const c = client(b)
    await c.send([rec('A', 1), rec('A', 2)])
    await c.stop()
    expect(c.log.find('warn', 'stop: 2 record(s) not delivered to ThingsBoard are lost (memory storage)')).toHaveLength(1)
  })

  it('rejects malformed records with INVALID_RECORD naming the field, and stores nothing', async () => {
    const b = await broker()
    const storage = createMemoryStorage()
    const c = client(b, { storage })
    await connectedOnce(c)
    const bad = [rec('A', 1), { deviceName: 'B', telemetry: [{ ts: 'x', values: {} }] }]
    await expect(c.send(bad as never)).rejects.toMatchObject({ code: 'INVALID_RECORD', message: expect.stringContaining('records[1].telemetry[0].ts') })
    await expect(c.send([{ deviceName: '' }] as never)).rejects.toMatchObject({ code: 'INVALID_RECORD' })
    expect(storage.size()).toBe(0)
    // nothing to send: resolves without storing
    await c.send([{ deviceName: 'E', attributes: {}, telemetry: [] }])
    expect(storage.size()).toBe(0)
  })

  it('stop() flushes what is stored, disconnects, and refuses later sends', async () => {
    const b = await broker()
    const c = client(b)
    await connectedOnce(c)
    await c.send([rec('A', 1), rec('B', 2)])
    const disconnects: string[] = []
    c.on('disconnect', (e) => disconnects.push(e.reason))
    await c.stop({ flushTimeoutMs: 5000 })
    expect(b.on('v1/gateway/telemetry')).toHaveLength(1)
    expect(c.stats().acked).toBe(2)
    await waitUntil(() => disconnects.length === 1, 'the disconnect event')
    await expect(c.send([rec('A', 3)])).rejects.toMatchObject({ code: 'STOPPED' })
    await waitUntil(() => b.connectedClients() === 0, 'the broker to see the disconnect')
  })
})
