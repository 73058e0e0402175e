/** Runs one rule for one event: build the request, send it, log and count the outcome. */
import { downlinkFailureOf, type DownlinkEvent, type OutboundRequest } from '@restgate/converters'
import type { PreparedRule } from './_rules.ts'
import { sendRequest, type SendEnv } from './_send.ts'
import type { Scope } from './_scope.ts'
import type { Logger } from './logger.ts'
import type { RequestFailure, RequestOutcome } from './types.ts'

export interface RunCounters {
  requests: number
  succeeded: number
  failed: number
}

export interface RunEnv {
  send: SendEnv
  logger: Logger
  counters: RunCounters
}

/** 400 when the event lacked what the rule needs; 500 when the rule/converter itself is broken. */
function buildFailure(e: unknown): RequestFailure {
  const message = e instanceof Error ? e.message : String(e)
  const reason = downlinkFailureOf(e)
  const code = reason === 'DOWNLINK_TEMPLATE_MISSING' || reason === 'RESERVED_RPC_PARAMS' || reason === 'HEADER_INVALID' ? 400 : 500
  return { kind: 'build', message, code }
}

function describeEvent(event: DownlinkEvent): string {
  return event.type === 'rpc'
    ? `RPC ${JSON.stringify(event.data.method)} id ${JSON.stringify(event.data.id)} for ${JSON.stringify(event.device)}`
    : `attribute ${JSON.stringify(event.key)} of ${JSON.stringify(event.device)}`
}

/**
 * Builds and sends the request of `rule` for `event`. Never throws: every failure is an outcome.
 * `quiet` logs a success at debug (else info: one-way RPCs have only the log to show their result).
 */
export async function runRule(rule: PreparedRule, event: DownlinkEvent, scope: Scope, env: RunEnv, quiet: boolean): Promise<RequestOutcome> {
  const started = performance.now()
  const path = rule.config.path
  const outcome: RequestOutcome = { rule: path, ok: false, attempts: 0, durationMs: 0 }
  if (event.type === 'attributeUpdate') outcome.key = event.key
  let request: OutboundRequest
  try {
    request = await rule.build(event)
  } catch (e) {
    outcome.failure = buildFailure(e)
    outcome.durationMs = performance.now() - started
    env.counters.requests++
    env.counters.failed++
    env.logger.warn({ rule: path }, `${path}: ${describeEvent(event)}: request not sent: ${outcome.failure.message}`)
    return outcome
  }
  outcome.method = request.method
  const refused = rule.guard?.(request.url)
  if (refused !== undefined) {
    outcome.failure = { kind: 'refused', message: refused, code: 403 }
    outcome.durationMs = performance.now() - started
    env.counters.requests++
    env.counters.failed++
    env.logger.warn({ rule: path }, `${path}: ${describeEvent(event)}: request not sent: ${refused}`)
    return outcome
  }
  const sent = await sendRequest(request, rule.transport, env.send, scope)
  outcome.target = sent.target
  outcome.ok = sent.ok
  outcome.attempts = sent.attempts
  if (sent.status !== undefined) outcome.status = sent.status
  if (sent.ok) outcome.result = sent.result
  else if (sent.failure !== undefined) outcome.failure = sent.failure
  outcome.durationMs = Math.round((performance.now() - started) * 10) / 10
  env.counters.requests++
  const summary = `${path}: ${describeEvent(event)}: ${request.method} ${sent.target}`
  const data = { rule: path, status: sent.status, attempts: sent.attempts, durationMs: outcome.durationMs }
  if (sent.ok) {
    env.counters.succeeded++
    const line = `${summary} → ${sent.status} (${sent.attempts} ${sent.attempts === 1 ? 'try' : 'tries'})`
    if (quiet) env.logger.debug(data, line)
    else env.logger.info(data, line)
  } else {
    env.counters.failed++
    env.logger.warn(data, `${summary} failed after ${sent.attempts} ${sent.attempts === 1 ? 'try' : 'tries'}: ${sent.failure?.message ?? 'unknown error'}`)
  }
  return outcome
}
