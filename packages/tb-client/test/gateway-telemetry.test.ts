/** Telemetry of the gateway device itself (the gateway's statistics): `v1/devices/me/telemetry`. */
import { describe, expect, it } from 'vitest'
import { broker, client, connectedOnce } from './_helpers.ts'

describe('sendGatewayTelemetry', () => {
  it("publishes {ts, values} on v1/devices/me/telemetry at the client's QoS once connected; rejects NOT_CONNECTED before", async () => {
    const b = await broker()
    const c = client(b)
    await expect(c.sendGatewayTelemetry({ eventsProduced: 1 })).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    await connectedOnce(c)
    await c.sendGatewayTelemetry({ eventsProduced: 3, queueDepth: 0 }, 1_700_000_000_000)
    expect(b.publishes.filter((p) => p.topic === 'v1/devices/me/telemetry').map((p) => [p.payload, p.qos])).toEqual([
      ['{"ts":1700000000000,"values":{"eventsProduced":3,"queueDepth":0}}', 1],
    ])
    await c.stop({ flushTimeoutMs: 0 })
    await expect(c.sendGatewayTelemetry({ eventsProduced: 1 })).rejects.toMatchObject({ code: 'STOPPED' })
  })
})
