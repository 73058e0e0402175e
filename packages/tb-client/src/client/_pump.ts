/**
 * The outbox pump: reads packs from storage, publishes them (connect first for devices new in this
 * session), and acks a pack in storage only when every publish of it was confirmed. Up to
 * `maxPacksInFlight` packs are pipelined on one connection; packs settle strictly in order and a
 * failed pack fails every later pack of its session, so per-device order survives reconnects.
 *
 * Packing under load works like Nagle's algorithm: with nothing in flight, whatever is stored goes
 * out at once; while a pack is in flight, the next one waits until it is full (`readRecordsCount`)
 * or the in-flight packs are confirmed. So a quiet gateway sends each record immediately and a busy
 * one sends few, full messages (the HTTP answer never waits for this: it follows the storage put).
 *
 * A pack ThingsBoard confirmed is delivered even when the storage ack fails: it is never released
 * (that would re-send it at once, in a loop while the storage keeps failing); see _ack-retry.ts.
 */
import { nextTurn } from '@restgate/core'
import type { Logger } from '../logger.ts'
import type { StorageBackend, StoredEntry } from '@restgate/storage'
import { createAckRetry } from './_ack-retry.ts'
import { DeviceLru } from './_device-lru.ts'
import { planPack, TOPIC_CONNECT, TOPIC_TELEMETRY } from './_payload.ts'
import { rateDelay, type SessionLimits } from './_limits.ts'
import type { Session } from './_session.ts'

export interface PumpDeps {
  storage: StorageBackend
  current(): Session | undefined
  qos: 0 | 1
  readRecordsCount: number
  minPackSendDelayMS: number
  maxPacksInFlight: number
  /** Bound of the set of devices whose connector description was sent (LRU). */
  maxKnownDevices: number
  /** A device announced longer ago than this (ms) in the session is announced again before its data; 0 = never. */
  reannounceAfterMs: number
  /** Clock of the announce times. */
  now(): number
  ackTimeoutMs: number
  /** Backoff of the retried storage ack of delivered records. */
  storageAckRetry: { initialMs: number; maxMs: number }
  connectorType: string
  connectorName: string
  maxPayloadBytes(): number
  limits(): SessionLimits | undefined
  logger: Logger
}

export interface PumpCounters {
  published: number
  acked: number
  resent: number
  droppedDatapoints: number
}

export interface Pump {
  start(): void
  wake(): void
  /** New records were stored: wakes the pump only when it would send now (not while it waits to fill a pack). */
  stored(): void
  stop(): Promise<void>
  inFlight(): number
  /** Delivered records whose storage ack failed and is retried (still in storage, never sent again). */
  ackPending(): number
  counters(): PumpCounters
  /** True once storage and pipeline are empty; false when `timeoutMs` passes first. */
  whenDrained(timeoutMs: number): Promise<boolean>
}

interface Pack {
  entries: StoredEntry[]
  session: Session
  described: string[]
  dataIssued: boolean
  result: Promise<boolean>
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export function createPump(d: PumpDeps): Pump {
  const c: PumpCounters = { published: 0, acked: 0, resent: 0, droppedDatapoints: 0 }
  const packs: Pack[] = []
  const broken = new WeakSet<Session>()
  const described = new DeviceLru(d.maxKnownDevices)
  const drainWaiters = new Set<() => void>()
  let chain: Promise<void> = Promise.resolve()
  /** Records in the packs of `packs`. */
  let inFlightRecords = 0
  let stopped = false
  let loopDone: Promise<void> | undefined
  let woken = false
  let wakeResolve: (() => void) | undefined
  const acks = createAckRetry({
    storage: d.storage,
    initialMs: d.storageAckRetry.initialMs,
    maxMs: d.storageAckRetry.maxMs,
    logger: d.logger,
    onAcked(count) {
      c.acked += count
      notifyDrained()
      wake()
    },
  })
  /** Records of settled packs whose storage ack is still running (see settle()). */
  let ackingRecords = 0
  const ackings = new Set<Promise<unknown>>()
  /** Records in storage that are neither in a pack, nor being acked, nor waiting for an ack retry. */
  const pendingInStorage = (): number => d.storage.size() - inFlightRecords - ackingRecords - acks.pending()

  function wake(): void {
    woken = true
    const r = wakeResolve
    wakeResolve = undefined
    r?.()
  }

  /** Waits for wake() (or `ms` when given); a wake() that came before the wait is not lost. */
  function sleep(ms: number | undefined): Promise<void> {
    if (woken) {
      woken = false
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      wakeResolve = () => {
        if (timer !== undefined) clearTimeout(timer)
        woken = false
        resolve()
      }
      if (ms !== undefined && ms > 0) timer = setTimeout(() => wake(), ms)
    })
  }

  const drained = (): boolean => packs.length === 0 && ackings.size === 0 && d.storage.size() === 0
  function notifyDrained(): void {
    if (drainWaiters.size === 0 || !drained()) return
    for (const w of drainWaiters) w()
  }

  /** Undefined when a publish may go now (no promise, no tick), else a promise that resolves when it may. */
  function rate(session: Session, telemetry: boolean, datapoints: number): Promise<void> | undefined {
    const limits = d.limits()
    if (limits === undefined || rateDelay(limits, telemetry, datapoints, Date.now()) === 0) return undefined
    return rateWait(session, telemetry, datapoints)
  }

  async function rateWait(session: Session, telemetry: boolean, datapoints: number): Promise<void> {
    for (;;) {
      const wait = rateDelay(d.limits(), telemetry, datapoints, Date.now())
      if (wait === 0 || session.closed || stopped) return
      d.logger.debug({ waitMs: wait }, 'rate limit reached: delaying a publish')
      // re-check at least every second, so a closed session or stop() is not held up by a long window
      await delay(Math.min(wait, 1000))
    }
  }

  /** Rejects (by closing the session) when `p` is not settled within ackTimeoutMs. */
  function guard<T>(session: Session, p: Promise<T>): Promise<T> {
    const timer = setTimeout(() => {
      d.logger.warn(`no PUBACK from ThingsBoard within ${d.ackTimeoutMs} ms: reconnecting to re-send`)
      session.close(`no PUBACK within ${d.ackTimeoutMs} ms`)
    }, d.ackTimeoutMs)
    const clear = (): void => clearTimeout(timer)
    p.then(clear, clear)
    return p
  }

  async function publishPack(pack: Pack): Promise<void> {
    const { session } = pack
    const now = d.now()
    const stale = d.reannounceAfterMs
    const plan = planPack(pack.entries, {
      isConnected:
        stale > 0
          ? (device) => session.connectedDevices.has(device) && now - (session.connectedDevices.addedAt(device) ?? 0) < stale
          : (device) => session.connectedDevices.has(device),
      needsDescription: (device) => !described.has(device),
      connectorType: d.connectorType,
      connectorName: d.connectorName,
      maxPayloadBytes: d.maxPayloadBytes(),
    })
    pack.described = plan.described
    for (const x of plan.dropped) {
      c.droppedDatapoints++
      d.logger.error(`datapoint "${x.key}" of device "${x.device}" dropped: not JSON-serialisable (${x.reason})`)
    }
    for (const x of plan.oversize) {
      d.logger.warn(`datapoint "${x.key}" of device "${x.device}" is ${x.bytes} bytes, over the payload limit: sent alone`)
    }
    try {
      if (plan.connects.length > 0) {
        const connects: Array<Promise<void>> = []
        for (const x of plan.connects) {
          const wait = rate(session, false, 0)
          if (wait !== undefined) await wait
          connects.push(session.publish(TOPIC_CONNECT, x.payload, d.qos))
          session.connectedDevices.add(x.device, now)
        }
        await guard(session, Promise.all(connects))
        c.published += connects.length
      }
      const confirmations: Array<Promise<void>> = []
      for (const m of plan.messages) {
        const wait = rate(session, m.topic === TOPIC_TELEMETRY, m.datapoints)
        if (wait !== undefined) await wait
        pack.dataIssued = true
        confirmations.push(session.publish(m.topic, m.payload, d.qos))
      }
      pack.result = guard(session, Promise.all(confirmations)).then(
        () => {
          c.published += confirmations.length
          return true
        },
        (error: unknown) => failed(pack, error),
      )
    } catch (error) {
      pack.result = Promise.resolve(failed(pack, error))
    }
  }

  function failed(pack: Pack, error: unknown): false {
    if (!broken.has(pack.session)) {
      broken.add(pack.session)
      d.logger.debug(
        {
          error: error instanceof Error ? error.message : String(error),
        },
        'pack not confirmed; it is released and re-sent after reconnect',
      )
    }
    // later packs of this session must not be acked before this one is re-sent
    pack.session.close(error instanceof Error ? error.message : String(error))
    return false
  }

  async function settle(pack: Pack): Promise<void> {
    const ok = await pack.result
    const ids = pack.entries.map((e) => e.id)
    if (ok && !broken.has(pack.session)) {
      // delivered: counted by onAcked once removed from storage, now or by a retry, never re-sent
      for (const device of pack.described) described.add(device)
      // Not awaited: the next pack settles while this ack is written, so a storage that groups
      // concurrent acks (file: one acks.json write for all of them) is not held to one write per
      // pack. The records stay counted in storage.size() until the ack is done.
      ackingRecords += ids.length
      const done: Promise<unknown> = acks.ack(ids).finally(() => {
        ackingRecords -= ids.length
        ackings.delete(done)
        notifyDrained()
        wake()
      })
      ackings.add(done)
    } else {
      broken.add(pack.session)
      d.storage.release(ids)
      if (pack.dataIssued) c.resent += ids.length
    }
    packs.splice(packs.indexOf(pack), 1)
    inFlightRecords -= pack.entries.length
    notifyDrained()
    wake()
  }

  async function loop(): Promise<void> {
    for (;;) {
      if (stopped) return
      const session = d.current()
      // a settled pack whose storage ack still runs counts as in flight here (packing and the bound)
      const busy = packs.length + ackings.size
      if (session === undefined || packs.some((p) => p.session !== session) || busy >= d.maxPacksInFlight) {
        await sleep(undefined)
        continue
      }
      // Nagle: while a pack is in flight, only a full pack goes out (woken by send() and by settle())
      if (busy > 0 && pendingInStorage() < d.readRecordsCount) {
        await sleep(undefined)
        continue
      }
      let entries: StoredEntry[]
      try {
        entries = await d.storage.read(d.readRecordsCount)
      } catch (error) {
        d.logger.error({ error: error instanceof Error ? error.message : String(error) }, 'storage read failed; retrying')
        await sleep(1000)
        continue
      }
      if (entries.length === 0) {
        notifyDrained()
        await sleep(packs.length + ackings.size > 0 ? undefined : d.minPackSendDelayMS)
        continue
      }
      if (stopped || d.current() !== session) {
        d.storage.release(entries.map((e) => e.id))
        continue
      }
      const pack: Pack = { entries, session, described: [], dataIssued: false, result: Promise.resolve(false) }
      packs.push(pack)
      inFlightRecords += entries.length
      await publishPack(pack)
      chain = chain
        .then(() => settle(pack))
        .catch((error: unknown) => {
          d.logger.error({ error: error instanceof Error ? error.message : String(error) }, 'settling a pack failed')
        })
      // a backlog (a big request just stored: another full pack waits) is planned and published a
      // full pack per turn of the event loop, not every pack the pipeline allows in one go
      if (entries.length >= d.readRecordsCount && pendingInStorage() >= d.readRecordsCount) await nextTurn()
    }
  }

  return {
    start() {
      loopDone ??= loop()
    },
    wake,
    stored() {
      const busy = packs.length + ackings.size
      if (busy > 0 && (busy >= d.maxPacksInFlight || pendingInStorage() < d.readRecordsCount)) return
      wake()
    },
    async stop() {
      stopped = true
      wake()
      await loopDone
      await chain
      await Promise.all(ackings)
      const left = acks.pending()
      if (!(await acks.close())) {
        d.logger.warn(
          `stop: ${acks.pending()} of ${left} record(s) delivered to ThingsBoard could not be removed from storage; a durable storage sends them again at the next start`,
        )
      }
    },
    // records of settled packs whose storage ack still runs are still in flight for the caller
    inFlight: () => inFlightRecords + ackingRecords,
    ackPending: () => acks.pending(),
    counters: () => ({ ...c }),
    whenDrained(timeoutMs) {
      if (drained()) return Promise.resolve(true)
      return new Promise<boolean>((resolve) => {
        const done = (value: boolean): void => {
          clearTimeout(timer)
          drainWaiters.delete(onDrained)
          resolve(value)
        }
        const onDrained = (): void => done(true)
        const timer = setTimeout(() => done(drained()), Math.max(0, timeoutMs))
        drainWaiters.add(onDrained)
      })
    },
  }
}
