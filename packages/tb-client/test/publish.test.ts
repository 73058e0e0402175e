import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '@restgate/storage/memory'
import { waitUntil } from './_broker.ts'
import { broker, client } from './_helpers.ts'

const TS = 1_700_000_000_000

describe('uplink publishes (Gateway API shapes, compact JSON)', () => {
  it('connects a device, then sends its attributes and telemetry with the exact payloads', async () => {
    const b = await broker()
    const c = client(b)
    await c.send(
      [
        {
          deviceName: 'SN-001',
          deviceType: 'Thermometer',
          attributes: { model: 'T1000', certificateNumber: 'C-42' },
          telemetry: [{ ts: TS, values: { temperature: 23.5, humidity: 60 } }],
        },
      ],
      { connectorName: 'REST Connector' },
    )
    expect(await c.flush(5000)).toBe(true)
    expect(b.publishes.map((p) => [p.topic, p.payload, p.qos])).toEqual([
      ['v1/gateway/connect', '{"device":"SN-001","type":"Thermometer"}', 1],
      ['v1/gateway/attributes', '{"SN-001":{"connectorType":"rest","connectorName":"REST Connector","model":"T1000","certificateNumber":"C-42"}}', 1],
      ['v1/gateway/telemetry', `{"SN-001":[{"ts":${TS},"values":{"temperature":23.5,"humidity":60}}]}`, 1],
    ])
    expect(c.stats()).toMatchObject({ connected: true, queued: 0, inFlight: 0, acked: 1, published: 3, resent: 0 })
  })

  it('packs several devices into one attributes and one telemetry publish; type defaults to "default"', async () => {
    // stored before the client connects, so that all three records are in one pack
    const storage = createMemoryStorage()
    await storage.put([
      { deviceName: 'A', deviceType: 'default', telemetry: [{ ts: TS, values: { t: 1 } }], receivedAt: 0 },
      { deviceName: 'B', deviceType: 'pump', attributes: { fw: '1.0' }, telemetry: [{ ts: TS, values: { t: 2 } }], receivedAt: 0 },
      { deviceName: 'A', deviceType: 'default', telemetry: [{ ts: TS + 1, values: { t: 3 } }], receivedAt: 0 },
    ])
    const b = await broker()
    const c = client(b, { storage, connectorName: 'X' })
    await waitUntil(() => storage.size() === 0, 'outbox drained')
    const data = b.publishes.filter((p) => p.topic !== 'v1/gateway/connect')
    expect(b.on('v1/gateway/connect').map((p) => p.payload)).toEqual(['{"device":"A","type":"default"}', '{"device":"B","type":"pump"}'])
    expect(data.map((p) => [p.topic, p.payload])).toEqual([
      ['v1/gateway/attributes', '{"A":{"connectorType":"rest","connectorName":"X"},"B":{"connectorType":"rest","connectorName":"X","fw":"1.0"}}'],
      ['v1/gateway/telemetry', `{"A":[{"ts":${TS},"values":{"t":1}},{"ts":${TS + 1},"values":{"t":3}}],"B":[{"ts":${TS},"values":{"t":2}}]}`],
    ])
    expect(c.stats().acked).toBe(3)
  })
})
