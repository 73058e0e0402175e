/**
 * Issue 11: `send()` of a big batch (one HTTP request of 30 000 small objects) must not hold the
 * event loop for a whole pass over it: it checks and converts a slice per turn (counted with a
 * self-re-arming setImmediate, no clock), stores all or nothing, and delivers in order.
 */
import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '@restgate/storage/memory'
import { SEND_SLICE_RECORDS } from '../src/client/_records.ts'
import { broker, client, connectedOnce } from './_helpers.ts'

function turnMeter() {
  let turn = 0
  let on = true
  const tick = (): void => {
    turn++
    if (on) setImmediate(tick)
  }
  setImmediate(tick)
  const perTurn = new Map<number, number>()
  return {
    touch: () => perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1),
    perTurn,
    stop: () => (on = false),
  }
}

describe('send() of a big batch', () => {
  it('reads a slice of records per turn of the event loop, stores them all in one put and delivers them in order', async () => {
    const b = await broker()
    const storage = createMemoryStorage({ maxRecords: 100_000 })
    const c = client(b, { storage })
    await connectedOnce(c)
    const meter = turnMeter()
    const n = SEND_SLICE_RECORDS * 6 + 5
    const records = Array.from({ length: n }, (_, i) => {
      const r = { deviceType: 'default', telemetry: [{ ts: 1_700_000_000_000, values: { i } }] }
      return Object.defineProperty(r, 'deviceName', { enumerable: true, get: () => (meter.touch(), `D${i % 3}`) }) as typeof r & { deviceName: string }
    })
    await c.send(records)
    meter.stop()
    // each record's name was read once, never more than a slice of them in one turn
    expect([...meter.perTurn.values()].reduce((x, y) => x + y, 0)).toBe(n)
    expect(Math.max(...meter.perTurn.values())).toBeLessThanOrEqual(SEND_SLICE_RECORDS)
    expect(meter.perTurn.size).toBeGreaterThanOrEqual(7)
    expect(await c.flush(20_000)).toBe(true)
    const seen = b
      .on('v1/gateway/telemetry')
      .flatMap((p) => Object.values(p.json() as Record<string, Array<{ values: { i: number } }>>).flatMap((list) => list.map((e) => e.values.i)))
    expect(seen.toSorted((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i))
    // per device, in the order sent
    for (const device of ['D0', 'D1', 'D2']) {
      const mine = b
        .on('v1/gateway/telemetry')
        .flatMap((p) => ((p.json() as Record<string, Array<{ values: { i: number } }>>)[device] ?? []).map((e) => e.values.i))
      expect(mine).toEqual(mine.toSorted((x, y) => x - y))
    }
  })

  it('a big batch that does not fit is refused whole: nothing of it is stored', async () => {
    const b = await broker()
    const storage = createMemoryStorage({ maxRecords: SEND_SLICE_RECORDS * 2 })
    const c = client(b, { storage })
    const records = Array.from({ length: SEND_SLICE_RECORDS * 3 }, (_, i) => ({ deviceName: 'D', telemetry: [{ ts: 1, values: { i } }] }))
    await expect(c.send(records)).rejects.toMatchObject({ code: 'OUTBOX_FULL' })
    expect(storage.size()).toBe(0)
    const bad = records.slice(0, SEND_SLICE_RECORDS * 2)
    bad[SEND_SLICE_RECORDS + 3] = { deviceName: '', telemetry: [] }
    await expect(c.send(bad)).rejects.toMatchObject({ code: 'INVALID_RECORD', message: expect.stringContaining(`records[${SEND_SLICE_RECORDS + 3}]`) })
    expect(storage.size()).toBe(0)
  })
})
