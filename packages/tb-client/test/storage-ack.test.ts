/**
 * A storage whose `ack` fails after ThingsBoard confirmed the publishes. The failure cannot be
 * produced for real with the memory backend, so a thin wrapper rejects the first N acks and passes
 * everything else to a real memory storage; the broker is a real aedes.
 */
import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '@restgate/storage/memory'
import type { StorageBackend } from '@restgate/storage'
import { waitUntil } from './_broker.ts'
import { broker, client, connectedOnce } from './_helpers.ts'

interface AckCall {
  ids: number[]
  ok: boolean
}

/** A memory storage whose first `failures` acks reject (as a full disk or a locked database would). */
function failingAcks(failures: number): StorageBackend & { calls: AckCall[]; inner: StorageBackend } {
  const inner = createMemoryStorage()
  const calls: AckCall[] = []
  let left = failures
  return {
    kind: inner.kind,
    inner,
    calls,
    put: (records) => inner.put(records),
    read: (max) => inner.read(max),
    async ack(ids) {
      if (left > 0) {
        left--
        calls.push({ ids: [...ids], ok: false })
        throw new Error('SQLITE_IOERR: disk I/O error (injected)')
      }
      calls.push({ ids: [...ids], ok: true })
      await inner.ack(ids)
    },
    release: (ids) => inner.release(ids),
    size: () => inner.size(),
    stats: () => inner.stats(),
    close: () => inner.close(),
  }
}

const record = (device: string, i: number) => ({ deviceName: device, telemetry: [{ ts: 1000 + i, values: { n: i } }] })

/** Every (device, ts) sent on v1/gateway/telemetry, in order. */
function telemetrySent(publishes: Array<{ topic: string; json(): unknown }>): string[] {
  const out: string[] = []
  for (const p of publishes) {
    if (p.topic !== 'v1/gateway/telemetry') continue
    for (const [device, entries] of Object.entries(p.json() as Record<string, Array<{ ts: number }>>)) {
      for (const e of entries) out.push(`${device}@${e.ts}`)
    }
  }
  return out
}

describe('storage ack failures after delivery', () => {
  it('does not re-send delivered records while ack fails; retries the ack with backoff until it works', async () => {
    const b = await broker()
    const storage = failingAcks(3)
    const c = client(b, { storage, storageAckRetry: { initialMs: 80, maxMs: 320 } })
    await connectedOnce(c)
    await c.send([record('A', 1), record('B', 2), record('C', 3)])

    await waitUntil(() => storage.calls.length >= 1, 'the first ack')
    // delivered, still stored, not queued for sending again
    expect(c.stats()).toMatchObject({ ackPending: 3, queued: 0, inFlight: 0, acked: 0, resent: 0 })
    expect(storage.size()).toBe(3)

    // flush waits for the removal, and ends once the ack works (4th call: 3 failures, then success)
    expect(await c.flush(5000)).toBe(true)
    expect(storage.calls.map((x) => x.ok)).toEqual([false, false, false, true])
    expect(storage.calls.every((x) => x.ids.length === 3)).toBe(true)
    expect(storage.inner.size()).toBe(0)
    expect(telemetrySent(b.publishes)).toEqual(['A@1001', 'B@1002', 'C@1003'])
    expect(c.stats()).toMatchObject({ ackPending: 0, queued: 0, acked: 3, resent: 0 })
    // one warning for the whole outage, one line when it is over
    expect(c.log.find('warn', 'storage ack failed')).toHaveLength(1)
    expect(c.log.find('warn', 'storage ack failed')[0]!.msg).toContain('3 record(s) delivered to ThingsBoard stay in storage')
    expect(c.log.find('info', 'storage ack works again after 3 failure(s)')).toHaveLength(1)

    // later data flows normally, each record once
    await c.send([record('A', 4)])
    expect(await c.flush(5000)).toBe(true)
    expect(telemetrySent(b.publishes)).toEqual(['A@1001', 'B@1002', 'C@1003', 'A@1004'])
    expect(c.stats().acked).toBe(4)
  })

  it('a successful ack of a later pack retries the waiting ones at once (no wait for the backoff)', async () => {
    const b = await broker()
    const storage = failingAcks(1)
    // a backoff far beyond the test's bound: only the recovery path can ack in time
    const c = client(b, { storage, storageAckRetry: { initialMs: 60_000, maxMs: 60_000 } })
    await connectedOnce(c)
    await c.send([record('A', 1)])
    await waitUntil(() => storage.calls.length === 1, 'the failed ack')
    expect(c.stats().ackPending).toBe(1)
    await c.send([record('B', 2)])
    expect(await c.flush(5000)).toBe(true)
    expect(storage.calls.map((x) => [x.ok, x.ids.length])).toEqual([
      [false, 1],
      [true, 1],
      [true, 1],
    ])
    expect(telemetrySent(b.publishes)).toEqual(['A@1001', 'B@1002'])
    expect(c.stats()).toMatchObject({ ackPending: 0, acked: 2, resent: 0 })
  })

  it('stop() tries the ack once more and says what stays in storage when it still fails', async () => {
    const b = await broker()
    const storage = failingAcks(Number.POSITIVE_INFINITY)
    const c = client(b, { storage, storageAckRetry: { initialMs: 60_000, maxMs: 60_000 } })
    await connectedOnce(c)
    await c.send([record('A', 1), record('A', 2)])
    await waitUntil(() => storage.calls.length === 1, 'the failed ack')
    expect(await c.flush(50)).toBe(false)
    await c.stop({ flushTimeoutMs: 0 })
    expect(storage.calls).toHaveLength(2)
    expect(c.log.find('warn', '2 of 2 record(s) delivered to ThingsBoard could not be removed from storage')).toHaveLength(1)
    expect(telemetrySent(b.publishes)).toEqual(['A@1001', 'A@1002'])
  })
})
