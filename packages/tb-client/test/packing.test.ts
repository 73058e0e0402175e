import { describe, expect, it } from 'vitest'
import { waitUntil } from './_broker.ts'
import { broker, client } from './_helpers.ts'

const TS = 1_700_000_000_000
const rec = (seq: number) => ({ deviceName: 'A', deviceType: 'thermo', telemetry: [{ ts: TS + seq, values: { seq } }] })
const dev = (name: string, seq: number) => ({ deviceName: name, deviceType: 't', telemetry: [{ ts: TS + seq, values: { seq } }] })
const entriesPerMessage = (payloads: string[]): number[] => payloads.map((p) => (JSON.parse(p) as { A: unknown[] }).A.length)

describe('packing under load (Nagle-like)', () => {
  it('sends at once when nothing is in flight; while a pack is in flight, only full packs go out', async () => {
    const b = await broker()
    const c = client(b, { readRecordsCount: 10, maxPacksInFlight: 2 })
    await c.send([rec(0)])
    expect(await c.flush(5000)).toBe(true)
    const before = b.on('v1/gateway/telemetry').length

    b.holdPubacks()
    await c.send([rec(1)]) // nothing in flight: published at once
    await waitUntil(() => b.heldCount() === 1, 'the first pack')
    for (let i = 2; i <= 26; i++) await c.send([rec(i)])
    await waitUntil(() => b.heldCount() === 2, 'a full pack')
    await new Promise((resolve) => setTimeout(resolve, 50))
    // 25 records stored behind the first pack: one full pack of 10 (pipelined), 15 wait for a PUBACK
    expect(b.heldCount()).toBe(2)
    expect(c.stats()).toMatchObject({ inFlight: 11, queued: 15 })

    b.releasePubacks()
    expect(await c.flush(5000)).toBe(true)
    const telemetry = b
      .on('v1/gateway/telemetry')
      .slice(before)
      .map((p) => p.payload)
    expect(entriesPerMessage(telemetry)).toEqual([1, 10, 10, 5])
    const seqs = telemetry.flatMap((p) => (JSON.parse(p) as { A: Array<{ values: { seq: number } }> }).A.map((e) => e.values.seq))
    expect(seqs).toEqual(Array.from({ length: 26 }, (_, i) => i + 1))
  })

  it('a device forgotten beyond maxKnownDevices is connected again before its next data', async () => {
    const b = await broker()
    const c = client(b, { maxKnownDevices: 2 })
    for (const [i, name] of ['A', 'B', 'A', 'C', 'A', 'B'].entries()) {
      await c.send([dev(name, i)])
      expect(await c.flush(5000)).toBe(true)
    }
    // A stays recently used; B is forgotten when C arrives, so B is connected (and described) again
    expect(b.on('v1/gateway/connect').map((p) => (JSON.parse(p.payload) as { device: string }).device)).toEqual(['A', 'B', 'C', 'B'])
    expect(b.on('v1/gateway/attributes').map((p) => Object.keys(JSON.parse(p.payload) as object))).toEqual([['A'], ['B'], ['C'], ['B']])
  })
})
