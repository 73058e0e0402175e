import { describe, expect, it } from 'vitest'
import { TbClientError } from '../src/errors.ts'
import { waitUntil } from './_broker.ts'
import { broker, client, connectedOnce } from './_helpers.ts'

const connects = (b: Awaited<ReturnType<typeof broker>>): unknown[] => b.on('v1/gateway/connect').map((p) => p.json())

describe('announce(device)', () => {
  it('publishes v1/gateway/connect now, with the type of the device last sent (else "default")', async () => {
    const b = await broker()
    const c = client(b)
    await connectedOnce(c)
    await c.send([{ deviceName: 'SN-1', deviceType: 'Thermo', telemetry: [{ ts: 1, values: { t: 1 } }] }])
    await c.flush(5000)
    expect(connects(b)).toEqual([{ device: 'SN-1', type: 'Thermo' }])
    await c.announce('SN-1')
    await c.announce('never-sent')
    await c.announce('typed', 'Pump')
    expect(connects(b)).toEqual([
      { device: 'SN-1', type: 'Thermo' },
      { device: 'SN-1', type: 'Thermo' },
      { device: 'never-sent', type: 'default' },
      { device: 'typed', type: 'Pump' },
    ])
    // an announced device counts as connected in this session: its data needs no second connect
    await c.send([{ deviceName: 'typed', deviceType: 'Pump', telemetry: [{ ts: 2, values: { p: 1 } }] }])
    await c.flush(5000)
    expect(connects(b)).toHaveLength(4)
    await expect(c.announce('')).rejects.toSatisfy((e: unknown) => TbClientError.is(e) && e.code === 'INVALID_ARGUMENT')
  })

  it('while offline, resolves at once and announces the device right after the next CONNACK', async () => {
    const b = await broker()
    const c = client(b)
    await connectedOnce(c)
    await b.stop()
    await waitUntil(() => !c.stats().connected, 'the disconnect')
    await c.announce('waiting', 'T')
    expect(connects(b)).toEqual([])
    await b.restart()
    await waitUntil(() => connects(b).length === 1, 'the connect after reconnect')
    expect(connects(b)).toEqual([{ device: 'waiting', type: 'T' }])
    await c.stop()
    await expect(c.announce('x')).rejects.toSatisfy((e: unknown) => TbClientError.is(e) && e.code === 'STOPPED')
  })
})

describe('reannounceAfterMs', () => {
  it('connects a device again before its data once that long has passed since it was announced', async () => {
    const b = await broker()
    let clock = 1_000_000
    const c = client(b, { reannounceAfterMs: 60_000, now: () => clock })
    await connectedOnce(c)
    const send = async (ts: number): Promise<void> => {
      await c.send([{ deviceName: 'D', deviceType: 'T', telemetry: [{ ts, values: { v: ts } }] }])
      await c.flush(5000)
    }
    await send(1)
    await send(2)
    expect(connects(b)).toHaveLength(1)
    clock += 59_999
    await send(3)
    expect(connects(b)).toHaveLength(1)
    clock += 1
    await send(4)
    expect(connects(b)).toHaveLength(2)
    // every connect precedes the data it covers
    const topics = b.publishes.map((p) => p.topic).filter((t) => t === 'v1/gateway/connect' || t === 'v1/gateway/telemetry')
    expect(topics.at(-2)).toBe('v1/gateway/connect')
    expect(topics.at(-1)).toBe('v1/gateway/telemetry')
  })

  it('is 0 (once per connection) by default and refuses a negative value', async () => {
    const b = await broker()
    expect(() => client(b, { reannounceAfterMs: -1 })).toThrow(/reannounceAfterMs/)
  })
})
