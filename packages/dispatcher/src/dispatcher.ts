import { setMaxListeners } from 'node:events'
import type { AttributeUpdateRule, RpcRule } from '@restgate/config'
import { createRpcRequestBuilder, reservedRpcMethodOf, toReservedRpcRequestConfig, type ReservedRpcMethod, type RpcDownlinkEvent } from '@restgate/converters'
import { createOriginLimiter } from './_origin-limiter.ts'
import { runRule, type RunEnv } from './_run.ts'
import { createRuleLoader, transportFor, type PreparedRule } from './_rules.ts'
import { createScope } from './_scope.ts'
import { DispatcherError } from './errors.ts'
import { defaultLogger } from './logger.ts'
import {
  dispatcherDefaults,
  type AttributeUpdateEvent,
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
  if (!Number.isFinite(value) || value <= 0) throw new DispatcherError('DISPATCHER_OPTIONS', `createDispatcher: ${name} must be a positive number, got ${value}`)
  return value
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
  const maxPerOrigin = Math.floor(positive(options.maxConcurrencyPerOrigin, dispatcherDefaults.maxConcurrencyPerOrigin, 'maxConcurrencyPerOrigin'))
  const closeGraceMs = options.closeGraceMs ?? dispatcherDefaults.closeGraceMs
  const limiter = createOriginLimiter(Math.max(1, maxPerOrigin))
  const loader = createRuleLoader(config.configDir, logger, Math.max(1, maxPerOrigin))
  const closing = new AbortController()
  setMaxListeners(0, closing.signal) // one listener per dispatch in flight, by design
  const pending = new Set<Promise<unknown>>()
  const counters = { attributeUpdates: 0, rpcs: 0, requests: 0, succeeded: 0, failed: 0, retries: 0, replies: 0, replyFailures: 0 }
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
      logger.debug('dispatcher ready', { attributeUpdates: attributeUpdates.length, serverSideRpc: rpc.length })
      return { attributeUpdates, rpc }
    })()
    return readyPromise
  }

  /** Runs `work` as a tracked dispatch (close() waits for it); rejects once closed. */
  async function track<T>(work: () => Promise<T>): Promise<T> {
    if (closePromise !== undefined) throw new DispatcherError('DISPATCHER_CLOSED', 'the dispatcher is closed; event not handled')
    const promise = work()
    pending.add(promise)
    try {
      return await promise
    } finally {
      pending.delete(promise)
    }
  }

  async function publish(device: string, id: number | string | undefined, data: unknown, report: DispatchReport): Promise<void> {
    report.reply = data
    if (id === undefined || id === null) {
      logger.warn(`RPC for ${JSON.stringify(device)} has no id; its reply cannot be published`, { device })
      return
    }
    try {
      await publisher.replyRpc(device, id, data)
      report.replied = true
      counters.replies++
    } catch (e) {
      counters.replyFailures++
      logger.error(`RPC reply for ${JSON.stringify(device)} id ${JSON.stringify(id)} could not be published: ${e instanceof Error ? e.message : String(e)}`, { device, id })
    }
  }

  /** Reserved `get`/`set` (and `rest_get`/`rest_set`): a one-off request from the params; always replies. */
  async function handleReserved(method: ReservedRpcMethod, event: RpcDownlinkEvent, report: DispatchReport): Promise<DispatchReport> {
    const { device, data: call } = event
    report.handled = true
    let rule: PreparedRule
    try {
      const reserved = toReservedRpcRequestConfig(method, call.params)
      const build = createRpcRequestBuilder(reserved, { logger })
      rule = { config: reserved, build: (e) => build(e.device, (e as RpcDownlinkEvent).data), transport: transportFor(reserved, loader.agents) }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      logger.warn(`RPC ${JSON.stringify(call.method)} id ${JSON.stringify(call.id)} for ${JSON.stringify(device)}: ${message}`, { device })
      report.requests.push({ rule: `rpc "${method}" params`, ok: false, attempts: 0, durationMs: 0, failure: { kind: 'build', message, code: 400 } })
      await publish(device, call.id, { error: message, code: 400 }, report)
      return report
    }
    const scope = createScope(closing.signal)
    try {
      const outcome = await runRule(rule, event, scope, env, true)
      report.requests.push(outcome)
      await publish(device, call.id, replyOf(outcome), report)
    } finally {
      scope.dispose()
    }
    return report
  }

  async function handleRpc(event: RpcEvent): Promise<DispatchReport> {
    const prepared = await prepareAll()
    counters.rpcs++
    const report: DispatchReport = { handled: false, requests: [], replied: false }
    const { device } = event
    const call = event.data
    if (typeof call !== 'object' || call === null || typeof call.method !== 'string') {
      await publish(device, (call as { id?: number | string } | null)?.id, { error: 'RPC without a method', code: 400 }, report)
      return report
    }
    const rpcEvent: RpcDownlinkEvent = { type: 'rpc', device, data: call }
    const reserved = reservedRpcMethodOf(call.method)
    if (reserved !== undefined) return handleReserved(reserved, rpcEvent, report)
    const match = prepared.rpc.find(({ rule }) => rule.deviceNameFilter.test(device) && rule.methodFilter.test(call.method))
    if (match === undefined) {
      const message = `no serverSideRpc rule matches device ${JSON.stringify(device)} and method ${JSON.stringify(call.method)}`
      logger.warn(message, { device, method: call.method })
      await publish(device, call.id, { error: message, code: 404 }, report)
      return report
    }
    report.handled = true
    const replies = match.rule.responseTimeout !== undefined
    const scope = createScope(closing.signal, match.rule.responseTimeout)
    try {
      const outcome = await runRule(match.prepared, rpcEvent, scope, env, replies)
      report.requests.push(outcome)
      if (replies) await publish(device, call.id, replyOf(outcome), report)
    } finally {
      scope.dispose()
    }
    return report
  }

  async function handleAttributeUpdate(event: AttributeUpdateEvent): Promise<DispatchReport> {
    const prepared = await prepareAll()
    counters.attributeUpdates++
    const { device } = event
    const data = typeof event.data === 'object' && event.data !== null ? event.data : {}
    const scope = createScope(closing.signal)
    const runs: Array<Promise<RequestOutcome>> = []
    try {
      for (const [key, value] of Object.entries(data)) {
        for (const { rule, prepared: p } of prepared.attributeUpdates) {
          if (rule.deviceNameFilter.test(device) && rule.attributeFilter.test(key)) {
            runs.push(runRule(p, { type: 'attributeUpdate', device, key, value, data }, scope, env, true))
          }
        }
      }
      if (runs.length === 0) logger.debug(`attribute update for ${JSON.stringify(device)}: no attributeUpdates rule matches`, { device, keys: Object.keys(data) })
      const requests = await Promise.all(runs)
      return { handled: requests.length > 0, requests, replied: false }
    } finally {
      scope.dispose()
    }
  }

  return {
    async ready(): Promise<void> {
      await prepareAll()
    },
    onAttributeUpdate: (event) => track(() => handleAttributeUpdate(event)),
    onRpc: (event) => track(() => handleRpc(event)),
    matchesRpc(event: RpcEvent): boolean {
      const method = typeof event.data?.method === 'string' ? event.data.method : undefined
      if (method === undefined || typeof event.device !== 'string') return false
      if (reservedRpcMethodOf(method) !== undefined) return true
      return options.config.serverSideRpc.some((rule) => rule.deviceNameFilter.test(event.device) && rule.methodFilter.test(method))
    },
    close(): Promise<void> {
      closePromise ??= (async () => {
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
      return { ...counters, inFlight: limiter.active(), waiting: limiter.waiting() }
    },
  }
}
