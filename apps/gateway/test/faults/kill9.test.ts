/**
 * Fault: the gateway process is killed with SIGKILL under load — once while ThingsBoard is up
 * (publishes and acks in flight), once while ThingsBoard is down (a backlog only on disk) — and
 * restarted on the same config each time. With `file` and with `sqlite` storage, checked message
 * by message: every request answered 200 arrives after the restarts; each device is `connect`ed
 * before its data in every session; per device the data arrives in send order; a message arrives
 * twice only when a kill or the outage fell between its two copies.
 */
import { describe, expect, it } from 'vitest'
import { configFolder, gatewayProcess, type GatewayProcess, sandbox } from './_faults.ts'
import { arrivals, firstArrivalOrder, isIncreasing, report, startLoad, waitForArrivals } from './_traffic.ts'

const TOTAL = 400
const SENDERS = 4
const INTERVAL_MS = 5 // 400 messages over ~2 s

const storages: Array<[string, Record<string, unknown>]> = [
  ['file', { type: 'file', data_folder_path: './data', max_records_per_file: 100, max_file_count: 100 }],
  ['sqlite', { type: 'sqlite', data_file_path: './data/' }],
]

describe('kill -9 of the gateway under load', { timeout: 120_000 }, () => {
  it.each(storages)('%s: every 200 arrives after the restarts, connect before data', async (name, storage) => {
    const sb = await sandbox()
    const prefix = `K9${name}`
    const folder = await configFolder(sb.port, storage)
    let gw: GatewayProcess = await gatewayProcess(folder)
    await sb.waitFor((s) => s.clients.size > 0, 10_000)
    const load = startLoad({ url: folder.url, prefix, senders: SENDERS, total: TOTAL, intervalMs: INTERVAL_MS })
    /** [begin, end] of each kill and of the outage: a publish recorded up to `end` may still lack its persisted ack. */
    const disruptions: Array<[number, number]> = []

    // 1. killed while ThingsBoard is up: publishes and acks are in flight
    await load.reached(100)
    let begin = Date.now()
    await gw.kill9()
    disruptions.push([begin, Date.now()])
    gw = await gatewayProcess(folder)

    // 2. ThingsBoard goes down, the backlog grows on disk, and the gateway is killed again
    const atRestart = load.sent()
    await load.reached(atRestart + 50)
    begin = Date.now()
    await sb.stop()
    disruptions.push([begin, Date.now()])
    await load.reached(atRestart + 150)
    await gw.kill9()
    const arrivedBeforeSecondKill = new Set(arrivals(sb, prefix).keys())
    await sb.start()
    gw = await gatewayProcess(folder)
    const secondRestartLog = gw.output()

    const result = await load.done
    const got = await waitForArrivals(sb, prefix, result.ok, 20_000, gw.output)

    // answers: 200, or no answer at all while the process was dead; never an error status
    expect(result.refused).toEqual([])
    // what arrived was sent; beyond the 200s, only requests cut off by a kill (stored, answer lost)
    const extra = [...got.keys()].filter((n) => !result.ok.has(n))
    expect(extra.filter((n) => !result.sent.has(n))).toEqual([])
    expect(extra.length).toBeLessThanOrEqual(2 * SENDERS)
    // the second kill left a backlog on disk that only the restarted gateway could deliver
    const backlog = [...result.ok].filter((n) => !arrivedBeforeSecondKill.has(n) && n < atRestart + 150)
    expect(backlog.length).toBeGreaterThan(0)
    // a copy is re-sent only across a disruption (kill or outage)
    let duplicates = 0
    for (const [n, list] of got) {
      if (list.length === 1) continue
      duplicates += list.length - 1
      const [first, ...again] = list.toSorted((a, b) => a.receivedAt - b.receivedAt)
      for (const a of again) {
        const across = disruptions.some(([b, e]) => first!.receivedAt <= e && a.receivedAt >= b)
        expect(across, `#${n} arrived twice without a kill or outage in between`).toBe(true)
      }
    }
    for (const [device, ns] of firstArrivalOrder(sb, prefix)) expect(isIncreasing(ns), `${device} order`).toBe(true)
    for (const d of sb.state.devices.values()) {
      if (!d.name.startsWith(prefix)) continue
      expect(d.dataBeforeConnect, d.name).toBe(0)
      expect(d.autoCreated, d.name).toBe(false)
      expect(d.type).toBe('sensor')
    }
    if (name === 'file') expect(secondRestartLog).toMatch(/file storage: loaded \d+ un-acked record\(s\)/)

    report(`kill -9 (${name})`, {
      sent: result.sent.size,
      answered: result.statuses,
      delivered: got.size,
      deliveredNot200: extra.length,
      backlogAtSecondKill: backlog.length,
      duplicates,
      refusedWhileRestartingRetried: result.retried,
    })
    expect(await gw.terminate()).toBe(0)
  })
})
