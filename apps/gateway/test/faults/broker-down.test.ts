/**
 * Fault: ThingsBoard (the sandbox broker) goes away for a second (and at least 100 requests) under
 * steady load and comes back on the same port. The gateway is the real CLI process. Checked message
 * by message: every request answered 200 arrives; a message arrives twice only when its first copy
 * reached the broker before it went down and the copy after it came back (MQTT at-least-once: the
 * PUBACK was lost with the connection); every other answer is 503 OUTBOX_FULL with Retry-After; per device, data arrives
 * in the order it was sent and only after the device's `connect` in the current session.
 */
import { describe, expect, it } from 'vitest'
import { configFolder, gatewayProcess, sandbox } from './_faults.ts'
import { arrivals, firstArrivalOrder, isIncreasing, report, sleep, startLoad, waitForArrivals } from './_traffic.ts'

const TOTAL = 400
const SENDERS = 4
const INTERVAL_MS = 5 // 400 messages over ~2 s
const DOWN_MS = 1_000
const DOWN_COUNT = 100

const storages: Array<[string, Record<string, unknown>]> = [
  // a small outbox, so the outage also fills it: the overflow must be refused with 503, never lost
  ['memory (50 records)', { type: 'memory', max_records_count: 50, read_records_count: 100 }],
  ['file', { type: 'file', data_folder_path: './data', max_records_per_file: 200, max_file_count: 50 }],
]

describe('broker down for a while under steady load', { timeout: 120_000 }, () => {
  it.each(storages)('%s: every 200 arrives; duplicates only across the outage; the rest is 503', async (name, storage) => {
    const sb = await sandbox()
    const prefix = `BD${name.split(' ')[0]}`
    const folder = await configFolder(sb.port, storage)
    const gw = await gatewayProcess(folder)
    await sb.waitFor((s) => s.clients.size > 0, 10_000)

    const load = startLoad({ url: folder.url, prefix, senders: SENDERS, total: TOTAL, intervalMs: INTERVAL_MS })
    await load.reached(TOTAL / 6)
    const stopBegin = Date.now()
    await sb.stop()
    const stopEnd = Date.now()
    const sentWhileUp = load.sent()
    // down for at least DOWN_MS and until DOWN_COUNT more messages were sent (more than the memory
    // outbox holds, so it overflows however slow a loaded machine makes the senders)
    await Promise.all([sleep(DOWN_MS), load.reached(sentWhileUp + DOWN_COUNT)])
    const startBegin = Date.now()
    await sb.start()
    const reconnected = sb
      .waitFor((s) => s.clients.size > 0, 15_000)
      .then(
        () => Date.now(),
        () => Number.NaN,
      )
    const result = await load.done
    const got = await waitForArrivals(sb, prefix, result.ok, 20_000, gw.output)

    // answers: 200, or 503 OUTBOX_FULL with Retry-After; the gateway never stopped answering
    expect([...result.statuses.keys()].filter((k) => k !== '200' && k !== '503 OUTBOX_FULL')).toEqual([])
    for (const r of result.refused) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1)
    if (name.startsWith('memory')) expect(result.refused.length).toBeGreaterThan(0)

    // nothing arrived that was not answered 200 (a refused message is not stored)
    expect([...got.keys()].filter((n) => !result.ok.has(n))).toEqual([])
    // duplicates: first copy before the outage, the re-sent copy after it
    let duplicates = 0
    for (const [n, list] of got) {
      if (list.length === 1) continue
      duplicates += list.length - 1
      const [first, ...again] = list.toSorted((a, b) => a.receivedAt - b.receivedAt)
      expect(first!.receivedAt, `first copy of #${n}`).toBeLessThanOrEqual(stopEnd)
      for (const a of again) {
        expect(a.receivedAt, `re-sent copy of #${n}`).toBeGreaterThanOrEqual(startBegin)
        expect(a.duplicate).toBe(true)
      }
    }
    // per device: first arrivals in send order, and connect before data also after the reconnect
    for (const [device, ns] of firstArrivalOrder(sb, prefix)) expect(isIncreasing(ns), `${device} order`).toBe(true)
    for (const d of sb.state.devices.values()) if (d.name.startsWith(prefix)) expect(d.dataBeforeConnect, d.name).toBe(0)
    expect(arrivals(sb, prefix).size).toBe(result.ok.size)

    report(`broker down (${name})`, {
      sent: result.sent.size,
      answered: result.statuses,
      delivered: got.size,
      duplicates,
      sentBeforeOutage: sentWhileUp,
      outageMs: startBegin - stopBegin,
      reconnectedAfterMs: (await reconnected) - startBegin,
    })
    expect(await gw.terminate()).toBe(0)
  })
})
