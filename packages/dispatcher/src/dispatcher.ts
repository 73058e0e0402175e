import { setMaxListeners } from 'node:events'
import type { AttributeUpdateRule, RpcRule } from '@restgate/config'
import { createRpcRequestBuilder, reservedRpcMethodOf, toReservedRpcRequestConfig, type ReservedRpcMethod, type RpcDownlinkEvent } from '@restgate/converters'
import { createAdmission, createDropLog, createSlots, type Offer, type Ticket } from './_admission.ts'
import { createFetchGuard } from './_fetch-access.ts'
import { createOriginLimiter } from './_origin-limiter.ts'
import { runRule, type RunEnv } from './_run.ts'
import { createRuleLoader, transportFor, type PreparedRule } from './_rules.ts'
import { createScope } from './_scope.ts'
import { DispatcherError } from './errors.ts'
import { defaultLogger } from './logger.ts'
import {
  dispatcherDefaults,
  type AttributeUpdateEvent,
  type DispatchHooks,
  type DispatchReport,
  type Dispatcher,
  type DispatcherOptions,
  type DispatcherStats,
  type RequestOutcome,
  type RpcEvent,
} from './types.ts'

interface Prepared {
  attributeUpdates: Array<{ rule: AttributeUpdateRule; prepared: PreparedRule }>
  rpc: Array<{ rule: RpcRule; prepared: PreparedRule }>
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0)
    throw new DispatcherError('DISPATCHER_OPTIONS', `createDispatcher: ${name} must be a positive number, got ${value}`)
  return value
}

/** What one request's outcome holds (counted against maxQueuedBytes for each key × rule of an update). */
const OUTCOME_BYTES = 256
/** Keys handled between two yields to the event loop: one update never holds it for long. */
const YIELD_EVERY = 256
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Payload size of an event that did not say it (standalone use): the JSON length. */
function sizeOf(event: { bytes?: number; data: unknown }): number {
  if (typeof event.bytes === 'number' && Number.isFinite(event.bytes)) return event.bytes
  try {
    return JSON.stringify(event.data)?.length ?? 0
  } catch {
    return 0
  }
}

/** Hooks whose `onAdmitted` runs at most once. */
function once(hooks: DispatchHooks | undefined): DispatchHooks | undefined {
  const admitted = hooks?.onAdmitted
  if (admitted === undefined) return undefined
  let called = false
  return {
    onAdmitted() {
      if (called) return
      called = true
      admitted()
    },
  }
}

/** The reply `data` for an outcome: `{ result }` or `{ error, code }`. */
function replyOf(outcome: RequestOutcome): unknown {
  if (outcome.ok) return { result: outcome.result }
  const failure = outcome.failure ?? { message: 'request failed', code: 500 }
  return { error: failure.message, code: failure.code }
}

/**
 * Creates the downlink dispatcher: attribute updates and server-side RPCs from ThingsBoard become
 * HTTP requests to external APIs (see the package README for the rules). Call `ready()` at start-up
 * (it fails on a rule that cannot be prepared); the handlers await it too.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { config, publisher } = options
  const logger = options.logger ?? defaultLogger
  const bounds = config.downlink
  const maxPerOrigin = Math.floor(
    positive(options.maxConcurrencyPerOrigin ?? bounds?.maxConcurrencyPerOrigin, dispatcherDefaults.maxConcurrencyPerOrigin, 'maxConcurrencyPerOrigin'),
  )
  const maxActiveMessages = Math.floor(
    positive(options.maxActiveMessages ?? bounds?.maxActiveMessages, dispatcherDefaults.maxActiveMessages, 'maxActiveMessages'),
  )
  const maxQueuedMessages = Math.floor(options.maxQueuedMessages ?? bounds?.maxQueuedMessages ?? dispatcherDefaults.maxQueuedMessages)
  if (!(maxQueuedMessages >= 0)) throw new DispatcherError('DISPATCHER_OPTIONS', `createDispatcher: maxQueuedMessages must be ≥ 0, got ${maxQueuedMessages}`)
  const maxQueuedBytes = positive(options.maxQueuedBytes ?? bounds?.maxQueuedBytes, dispatcherDefaults.maxQueuedBytes, 'maxQueuedBytes')
  const maxRequests = Math.floor(positive(options.maxRequests ?? bounds?.maxRequests, dispatcherDefaults.maxRequests, 'maxRequests'))
  const admission = createAdmission(maxActiveMessages, maxQueuedMessages, maxQueuedBytes)
  const requestSlots = createSlots(maxRequests)
  const fetchGuard = createFetchGuard(options.reservedRpc ?? config.reservedRpc)
  const logDrop = createDropLog((m) => logger.warn(m), options.dropLogIntervalMs ?? dispatcherDefaults.dropLogIntervalMs)
  const closeGraceMs = options.closeGraceMs ?? dispatcherDefaults.closeGraceMs
  const limiter = createOriginLimiter(Math.max(1, maxPerOrigin))
  const loader = createRuleLoader(config.configDir, logger, Math.max(1, maxPerOrigin))
  const closing = new AbortController()
  setMaxListeners(0, closing.signal) // one listener per dispatch in flight, by design
  const pending = new Set<Promise<unknown>>()
  const counters = {
    attributeUpdates: 0,
    rpcs: 0,
    requests: 0,
    succeeded: 0,
    failed: 0,
    retries: 0,
    replies: 0,
    replyFailures: 0,
    dropped: 0,
    expired: 0,
    refused: 0,
  }
  const env: RunEnv = {
    logger,
    counters,
    send: {
      limiter,
      maxResponseBytes: positive(options.maxResponseBytes, dispatcherDefaults.maxResponseBytes, 'maxResponseBytes'),
      retryBaseMs: positive(options.retryBaseMs, dispatcherDefaults.retryBaseMs, 'retryBaseMs'),
      retryCapMs: positive(options.retryCapMs, dispatcherDefaults.retryCapMs, 'retryCapMs'),
      onTry: (attempt) => {
        if (attempt > 1) counters.retries++
      },
    },
  }
  let readyPromise: Promise<Prepared> | undefined
  let closePromise: Promise<void> | undefined

  function prepareAll(): Promise<Prepared> {
    readyPromise ??= (async () => {
      const [attributeUpdates, rpc] = await Promise.all([
        Promise.all(config.attributeUpdates.map(async (rule) => ({ rule, prepared: await loader.prepare(rule) }))),
        Promise.all(config.serverSideRpc.map(async (rule) => ({ rule, prepared: await loader.prepare(rule) }))),
      ])
      logger.debug({ attributeUpdates: attributeUpdates.length, serverSideRpc: rpc.length }, 'dispatcher ready')
      return { attributeUpdates, rpc }
    })()
    return readyPromise
  }

  /** The prepared rules; a message that cannot be dispatched (rules failed to prepare) is released to the broker at once. */
  async function preparedFor(hooks: DispatchHooks | undefined): Promise<Prepared> {
    try {
      return await prepareAll()
    } catch (e) {
      hooks?.onAdmitted?.()
      throw e
    }
  }

  /**
   * Runs `work` as a tracked dispatch (close() waits for it); rejects once closed. Plain promise
   * chains here and in `publish` (no async frames): a flood leaves thousands of RPCs waiting for
   * their reply's PUBACK, and each suspended frame would hold its whole context meanwhile.
   */
  function track<T>(work: () => Promise<T>, hooks?: DispatchHooks): Promise<T> {
    if (closePromise !== undefined) {
      hooks?.onAdmitted?.()
      return Promise.reject(new DispatcherError('DISPATCHER_CLOSED', 'the dispatcher is closed; event not handled'))
    }
    const promise = work()
    pending.add(promise)
    const untrack = (): void => void pending.delete(promise)
    promise.then(untrack, untrack)
    return promise
  }

  function publish(device: string, id: number | string | undefined, data: unknown, report: DispatchReport): Promise<void> {
    report.reply = data
    if (id === undefined || id === null) {
      logger.warn({ device }, `RPC for ${JSON.stringify(device)} has no id; its reply cannot be published`)
      return Promise.resolve()
    }
    const failed = (e: unknown): void => {
      counters.replyFailures++
      logger.error(
        { device, id },
        `RPC reply for ${JSON.stringify(device)} id ${JSON.stringify(id)} could not be published: ${e instanceof Error ? e.message : String(e)}`,
      )
    }
    let sent: Promise<void>
    try {
      sent = publisher.replyRpc(device, id, data)
    } catch (e) {
      failed(e)
      return Promise.resolve()
    }
    return sent.then(() => {
      report.replied = true
      counters.replies++
    }, failed)
  }

  /** Why a message was not taken, for the reply and the log. */
  function refusal(offer: Offer): string {
    return offer === 'full-queue'
      ? `downlink queue full (${maxQueuedMessages} messages waiting, downlink.maxQueuedMessages); dropped`
      : `downlink queue full (${maxQueuedBytes} bytes held, downlink.maxQueuedBytes); dropped`
  }

  /**
   * Asks for room for one message: `run` starts now or when room frees (the hooks' `onAdmitted` is
   * called then, or when the message is dropped or expires: the MQTT ack can go). Resolves with
   * the report.
   */
  function admit(
    bytes: number,
    deadlineAt: number | undefined,
    hooks: DispatchHooks | undefined,
    run: (release: () => void) => Promise<DispatchReport>,
    dropped: (why: 'full' | 'expired' | 'closed', message: string) => Promise<DispatchReport>,
  ): Promise<DispatchReport> {
    let admitted = false
    const signalAdmitted = (): void => {
      if (admitted) return
      admitted = true
      try {
        hooks?.onAdmitted?.()
      } catch {
        // a hook never breaks the dispatch
      }
    }
    return new Promise<DispatchReport>((resolve) => {
      const ticket: Ticket = {
        bytes,
        deadlineAt,
        start() {
          signalAdmitted()
          // the room is freed when the work is done, before an RPC's reply waits for its PUBACK: the
          // PUBACK comes in behind inbound messages that may be waiting for this very room
          let finished = false
          const release = (): void => {
            if (finished) return
            finished = true
            admission.finish(bytes)
          }
          run(release)
            .then(resolve, (e: unknown) => {
              logger.error(`downlink message failed: ${e instanceof Error ? e.message : String(e)}`)
              resolve({ handled: false, requests: [], replied: false })
            })
            .finally(release)
        },
        cancel(reason) {
          signalAdmitted()
          if (reason === 'expired') counters.expired++
          void dropped(reason, reason === 'expired' ? 'deadline passed while waiting for room' : 'the gateway is shutting down').then(resolve)
        },
      }
      const offer = admission.offer(ticket)
      if (offer === 'full-queue' || offer === 'full-bytes') {
        counters.dropped++
        signalAdmitted()
        void dropped('full', refusal(offer)).then(resolve)
      }
    })
  }

  /** Reserved `get`/`set` (and `rest_get`/`rest_set`): a one-off request from the params; always replies. */
  async function handleReserved(
    method: ReservedRpcMethod,
    event: RpcDownlinkEvent,
    report: DispatchReport,
    release: () => void = () => undefined,
  ): Promise<DispatchReport> {
    const { device, data: call } = event
    report.handled = true
    let rule: PreparedRule
    try {
      const reserved = toReservedRpcRequestConfig(method, call.params)
      const build = createRpcRequestBuilder(reserved, { logger })
      rule = { config: reserved, build: (e) => build(e.device, (e as RpcDownlinkEvent).data), transport: transportFor(reserved, loader.agents) }
      if (fetchGuard !== undefined) rule.guard = (url) => fetchGuard(url, call.method)
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      logger.warn({ device }, `RPC ${JSON.stringify(call.method)} id ${JSON.stringify(call.id)} for ${JSON.stringify(device)}: ${message}`)
      report.requests.push({ rule: `rpc "${method}" params`, ok: false, attempts: 0, durationMs: 0, failure: { kind: 'build', message, code: 400 } })
      release()
      await publish(device, call.id, { error: message, code: 400 }, report)
      return report
    }
    const scope = createScope(closing.signal)
    try {
      const outcome = await runWithSlot(rule, event, scope, true)
      if (outcome.failure?.kind === 'refused') counters.refused++
      report.requests.push(outcome)
      release()
      await publish(device, call.id, replyOf(outcome), report)
    } finally {
      scope.dispose()
    }
    return report
  }

  /** Runs one request of an RPC holding one of the `maxRequests` slots (waits for one until the scope ends). */
  async function runWithSlot(rule: PreparedRule, event: RpcDownlinkEvent, scope: ReturnType<typeof createScope>, quiet: boolean): Promise<RequestOutcome> {
    if (!requestSlots.tryAcquire()) {
      try {
        await requestSlots.acquire(scope.signal)
      } catch {
        return { rule: rule.config.path, ok: false, attempts: 0, durationMs: 0, failure: scope.failure() }
      }
    }
    try {
      return await runRule(rule, event, scope, env, quiet)
    } finally {
      requestSlots.release()
    }
  }

  async function handleRpc(event: RpcEvent, rawHooks?: DispatchHooks): Promise<DispatchReport> {
    const arrivedAt = Date.now()
    const hooks = once(rawHooks)
    const prepared = await preparedFor(hooks)
    counters.rpcs++
    const report: DispatchReport = { handled: false, requests: [], replied: false }
    const { device } = event
    const call = event.data
    if (typeof call !== 'object' || call === null || typeof call.method !== 'string') {
      hooks?.onAdmitted?.()
      await publish(device, (call as { id?: number | string } | null)?.id, { error: 'RPC without a method', code: 400 }, report)
      return report
    }
    const rpcEvent: RpcDownlinkEvent = { type: 'rpc', device, data: call }
    const reserved = reservedRpcMethodOf(call.method)
    const match =
      reserved === undefined ? prepared.rpc.find(({ rule }) => rule.deviceNameFilter.test(device) && rule.methodFilter.test(call.method)) : undefined
    if (reserved === undefined && match === undefined) {
      hooks?.onAdmitted?.()
      const message = `no serverSideRpc rule matches device ${JSON.stringify(device)} and method ${JSON.stringify(call.method)}`
      logger.warn({ device, method: call.method }, message)
      await publish(device, call.id, { error: message, code: 404 }, report)
      return report
    }
    const responseTimeout = match?.rule.responseTimeout
    const replies = reserved !== undefined || responseTimeout !== undefined
    const deadlineAt = responseTimeout === undefined ? undefined : arrivedAt + responseTimeout * 1000
    // built when logged: a message's closures live until its reply is confirmed
    const what = (): string => `RPC ${JSON.stringify(call.method)} id ${JSON.stringify(call.id)} for ${JSON.stringify(device)}`
    return admit(
      sizeOf(event),
      deadlineAt,
      hooks,
      async (release) => {
        if (reserved !== undefined) return handleReserved(reserved, rpcEvent, report, release)
        report.handled = true
        const scope = createScope(closing.signal, responseTimeout, arrivedAt)
        try {
          const outcome = await runWithSlot((match as { prepared: PreparedRule }).prepared, rpcEvent, scope, replies)
          report.requests.push(outcome)
          release()
          if (replies) await publish(device, call.id, replyOf(outcome), report)
        } finally {
          scope.dispose()
        }
        return report
      },
      (why, message) => {
        const code = why === 'expired' ? 408 : 503
        const text = why === 'expired' ? `timeout after ${responseTimeout}s (${message})` : message
        if (why === 'closed') logger.warn({ device }, `${what()}: ${text}`)
        else logDrop(`${what()}: ${text}`)
        return replies ? publish(device, call.id, { error: text, code }, report).then(() => report) : Promise.resolve(report)
      },
    )
  }

  /** Every key × every matching rule, requests bounded by `maxRequests`, yielding every YIELD_EVERY keys. */
  async function runUpdate(
    rules: Prepared['attributeUpdates'],
    device: string,
    data: Record<string, unknown>,
    keys: readonly string[],
  ): Promise<DispatchReport> {
    const scope = createScope(closing.signal)
    // outcomes only (no promise per request kept): what an update holds stays small per key
    const requests: RequestOutcome[] = []
    let running = 0
    let allDone: (() => void) | undefined
    const settled = (outcome: RequestOutcome): void => {
      requests.push(outcome)
      requestSlots.release()
      if (--running === 0) allDone?.()
    }
    try {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string
        for (const { rule, prepared: p } of rules) {
          if (!rule.attributeFilter.test(key)) continue
          if (!requestSlots.tryAcquire()) {
            try {
              await requestSlots.acquire(scope.signal)
            } catch {
              requests.push({ rule: p.config.path, key, ok: false, attempts: 0, durationMs: 0, failure: scope.failure() })
              continue
            }
          }
          running++
          void runRule(p, { type: 'attributeUpdate', device, key, value: data[key], data }, scope, env, true).then(settled)
        }
        if ((i + 1) % YIELD_EVERY === 0) await yieldToLoop()
      }
      if (running > 0) await new Promise<void>((resolve) => (allDone = resolve))
      if (requests.length === 0) logger.debug({ device }, `attribute update for ${JSON.stringify(device)}: no attributeUpdates rule matches`)
      return { handled: requests.length > 0, requests, replied: false }
    } finally {
      scope.dispose()
    }
  }

  async function handleAttributeUpdate(event: AttributeUpdateEvent, rawHooks?: DispatchHooks): Promise<DispatchReport> {
    const hooks = once(rawHooks)
    const prepared = await preparedFor(hooks)
    counters.attributeUpdates++
    const { device } = event
    const data = typeof event.data === 'object' && event.data !== null ? event.data : {}
    const rules = prepared.attributeUpdates.filter(({ rule }) => rule.deviceNameFilter.test(device))
    if (rules.length === 0) {
      hooks?.onAdmitted?.()
      logger.debug({ device }, `attribute update for ${JSON.stringify(device)}: no attributeUpdates rule matches`)
      return { handled: false, requests: [], replied: false }
    }
    // what an update holds grows with its keys: its payload, plus an outcome per request made. The
    // keys are listed once, the one step of an update that cannot yield (the tb-client parses it in
    // slices): ~15 % of a whole JSON.parse. They are then walked by index in chunks; a second walk
    // (for…in) would cost as much again
    const keys = Object.keys(data)
    return admit(
      sizeOf(event) + keys.length * rules.length * OUTCOME_BYTES,
      undefined,
      hooks,
      () => runUpdate(rules, device, data, keys),
      async (why, message) => {
        const text = `attribute update for ${JSON.stringify(device)} (${keys.length} keys): ${message}`
        if (why === 'full') logDrop(text)
        else logger.warn({ device }, text)
        return { handled: false, requests: [], replied: false, dropped: true }
      },
    )
  }

  return {
    async ready(): Promise<void> {
      await prepareAll()
    },
    onAttributeUpdate: (event, hooks) => track(() => handleAttributeUpdate(event, hooks), hooks),
    onRpc: (event, hooks) => track(() => handleRpc(event, hooks), hooks),
    matchesRpc(event: RpcEvent): boolean {
      const method = typeof event.data?.method === 'string' ? event.data.method : undefined
      if (method === undefined || typeof event.device !== 'string') return false
      if (reservedRpcMethodOf(method) !== undefined) return true
      return options.config.serverSideRpc.some((rule) => rule.deviceNameFilter.test(event.device) && rule.methodFilter.test(method))
    },
    close(): Promise<void> {
      closePromise ??= (async () => {
        admission.cancelAll() // waiting messages end now (RPCs get their 503 reply)
        const all = Promise.allSettled(pending)
        let timer: ReturnType<typeof setTimeout> | undefined
        const grace = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, closeGraceMs)
        })
        await Promise.race([all, grace])
        clearTimeout(timer)
        closing.abort()
        await all
        await loader.agents.close().catch((e: unknown) => logger.warn(`closing HTTP connections failed: ${e instanceof Error ? e.message : String(e)}`))
      })()
      return closePromise
    },
    stats(): DispatcherStats {
      return {
        ...counters,
        inFlight: limiter.active(),
        waiting: limiter.waiting(),
        activeMessages: admission.active(),
        queuedMessages: admission.queued(),
        heldBytes: admission.bytes(),
        requestsHeld: requestSlots.used(),
      }
    },
  }
}
