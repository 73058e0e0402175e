import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '@restgate/storage/memory'
import { waitUntil } from './_broker.ts'
import { broker, client } from './_helpers.ts'

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')

describe('payload limits', () => {
  it('splits attributes and telemetry at maxPayloadSizeBytes, keeping every datapoint and the order', async () => {
    const b = await broker()
    const c = client(b, { maxPayloadSizeBytes: 200, connectorName: 'C' })
    const values: Record<string, number> = {}
    for (let i = 0; i < 40; i++) values[`key_${i}`] = i
    const attributes: Record<string, string> = {}
    for (let i = 0; i < 15; i++) attributes[`attr_${i}`] = `välue-${i}`
    await c.send([
      {
        deviceName: 'Big',
        attributes,
        telemetry: [
          { ts: 1, values },
          { ts: 2, values: { last: true } },
        ],
      },
      { deviceName: 'Small', telemetry: [{ ts: 3, values: { s: 1 } }] },
    ])
    expect(await c.flush(5000)).toBe(true)
    const attrs = b.on('v1/gateway/attributes')
    const tele = b.on('v1/gateway/telemetry')
    expect(attrs.length).toBeGreaterThan(1)
    expect(tele.length).toBeGreaterThan(1)
    for (const p of [...attrs, ...tele]) expect(bytes(p.payload)).toBeLessThanOrEqual(200)

    const mergedAttrs: Record<string, unknown> = {}
    for (const p of attrs) Object.assign(mergedAttrs, (p.json() as { Big?: object }).Big, (p.json() as { Small?: object }).Small)
    expect(mergedAttrs).toEqual({ connectorType: 'rest', connectorName: 'C', ...attributes })

    const entries: Array<[string, number, string]> = []
    for (const p of tele) {
      for (const [device, list] of Object.entries(p.json() as Record<string, Array<{ ts: number; values: object }>>)) {
        for (const e of list) for (const k of Object.keys(e.values)) entries.push([device, e.ts, k])
      }
    }
    expect(entries.filter(([d]) => d === 'Big')).toEqual([...Object.keys(values).map((k) => ['Big', 1, k]), ['Big', 2, 'last']])
    expect(entries.filter(([d]) => d === 'Small')).toEqual([['Small', 3, 's']])
  })

  it('sends a single datapoint larger than the limit alone, and logs it', async () => {
    const b = await broker()
    const c = client(b, { maxPayloadSizeBytes: 100 })
    const huge = 'x'.repeat(300)
    await c.send([{ deviceName: 'D', telemetry: [{ ts: 1, values: { a: 1, huge, b: 2 } }] }])
    expect(await c.flush(5000)).toBe(true)
    expect(b.on('v1/gateway/telemetry').map((p) => p.payload)).toEqual([
      '{"D":[{"ts":1,"values":{"a":1}}]}',
      `{"D":[{"ts":1,"values":{"huge":"${huge}"}}]}`,
      '{"D":[{"ts":1,"values":{"b":2}}]}',
    ])
    expect(c.log.find('warn', 'datapoint "huge" of device "D" is 309 bytes, over the payload limit: sent alone')).toHaveLength(1)
  })

  it('sends two attribute records of one device as separate publishes, in order', async () => {
    const storage = createMemoryStorage()
    await storage.put([
      { deviceName: 'D', deviceType: 't', attributes: { mode: 'a' }, receivedAt: 0 },
      { deviceName: 'E', deviceType: 't', attributes: { x: 1 }, receivedAt: 0 },
      { deviceName: 'D', deviceType: 't', attributes: { mode: 'b' }, receivedAt: 0 },
    ])
    const b = await broker()
    const c = client(b, { storage })
    await waitUntil(() => storage.size() === 0, 'delivery')
    expect(b.on('v1/gateway/attributes').map((p) => p.payload)).toEqual([
      '{"D":{"connectorType":"rest","connectorName":"REST Connector","mode":"a"},"E":{"connectorType":"rest","connectorName":"REST Connector","x":1}}',
      '{"D":{"mode":"b"}}',
    ])
    // connector attributes are sent once per device per run, not again on the next pack
    await c.send([{ deviceName: 'D', attributes: { mode: 'c' } }])
    expect(await c.flush(5000)).toBe(true)
    expect(b.on('v1/gateway/attributes').at(-1)?.payload).toBe('{"D":{"mode":"c"}}')
  })

  it('drops (and logs) a datapoint that is not JSON, keeps the rest', async () => {
    const b = await broker()
    const c = client(b)
    await c.send([{ deviceName: 'D', telemetry: [{ ts: 1, values: { ok: 1, bad: 10n, gone: undefined } }] }])
    expect(await c.flush(5000)).toBe(true)
    expect(b.on('v1/gateway/telemetry').map((p) => p.payload)).toEqual(['{"D":[{"ts":1,"values":{"ok":1}}]}'])
    expect(c.log.find('error', 'datapoint "bad" of device "D" dropped')).toHaveLength(1)
    expect(c.stats().dropped).toBe(1)
  })
})

describe('ThingsBoard session limits', () => {
  it('asks getSessionLimits on connect, applies maxPayloadSize x0.8 and delays (never drops) over the rate limit', async () => {
    const b = await broker()
    b.onPublish((p) => {
      const m = /^v1\/devices\/me\/rpc\/request\/(\d+)$/.exec(p.topic)
      if (m === null) return
      void b.publish(`v1/devices/me/rpc/response/${m[1]}`, {
        maxPayloadSize: 150,
        maxInflightMessages: 2,
        rateLimits: { messages: '100:1' },
        gatewayRateLimits: { messages: '100:1', telemetryMessages: '3:1', telemetryDataPoints: '1000:1' },
      })
    })
    const c = client(b, { requestSessionLimits: true })
    await waitUntil(() => c.log.find('info', 'applied ThingsBoard session limits').length === 1, 'the limits')
    expect(b.publishes[0]).toMatchObject({
      topic: 'v1/devices/me/rpc/request/1',
      payload: '{"method":"getSessionLimits","params":{"timeout":5000}}',
      qos: 1,
    })
    expect(b.subscribed.has('v1/devices/me/rpc/response/+')).toBe(true)
    const values: Record<string, number> = {}
    for (let i = 0; i < 40; i++) values[`k${i}`] = i
    // 150 x 0.8 = 120 bytes per payload; telemetryMessages 3/s x 0.8 = 2 per second
    await c.send([{ deviceName: 'L', telemetry: [{ ts: 1, values }] }])
    expect(await c.flush(10_000)).toBe(true)
    const tele = b.on('v1/gateway/telemetry')
    expect(tele.length).toBeGreaterThanOrEqual(3)
    for (const p of tele) expect(bytes(p.payload)).toBeLessThanOrEqual(120)
    const keys = tele.flatMap((p) => Object.keys((p.json() as { L: Array<{ values: object }> }).L[0]?.values ?? {}))
    expect(keys).toEqual(Object.keys(values))
    expect(c.stats().dropped).toBe(0)
    expect(c.log.find('debug', 'rate limit reached').length).toBeGreaterThanOrEqual(1)
  })
})
