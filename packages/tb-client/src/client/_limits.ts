/**
 * ThingsBoard session limits (`getSessionLimits`): payload size, in-flight messages and rate limits
 * `"cap:seconds,cap:seconds"`, all used at 80 % as the original client does. Rate limits delay
 * publishes (fixed windows), they never drop anything.
 */

export interface RateWindow {
  cap: number
  periodMs: number
  start: number
  used: number
}

export interface SessionLimits {
  maxPayloadSize?: number
  maxInflightMessages?: number
  messages: RateWindow[]
  telemetryMessages: RateWindow[]
  telemetryDataPoints: RateWindow[]
}

const FACTOR = 0.8

/** Parses `"200:1,6000:60,"` into windows at 80 % (at least 1 per window). Invalid parts are skipped. */
export function parseRateLimit(spec: unknown): RateWindow[] {
  if (typeof spec !== 'string') return []
  const out: RateWindow[] = []
  for (const part of spec.split(',')) {
    const [capText, secText] = part.split(':')
    const cap = Number(capText)
    const seconds = Number(secText)
    if (!Number.isFinite(cap) || !Number.isFinite(seconds) || cap <= 0 || seconds <= 0) continue
    out.push({ cap: Math.max(1, Math.floor(cap * FACTOR)), periodMs: seconds * 1000, start: 0, used: 0 })
  }
  return out
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Reads a getSessionLimits reply; undefined when it is not one. */
export function parseSessionLimits(body: unknown): SessionLimits | undefined {
  if (!isObject(body)) return undefined
  const limits: SessionLimits = { messages: [], telemetryMessages: [], telemetryDataPoints: [] }
  let known = false
  const size = Number(body['maxPayloadSize'])
  if (Number.isFinite(size) && size > 0) {
    limits.maxPayloadSize = Math.floor(size * FACTOR)
    known = true
  }
  const inflight = Number(body['maxInflightMessages'])
  if (Number.isFinite(inflight) && inflight > 0) {
    limits.maxInflightMessages = Math.max(1, Math.floor(inflight * FACTOR))
    known = true
  }
  for (const section of [body['rateLimits'], body['gatewayRateLimits']]) {
    if (!isObject(section)) continue
    known = true
    limits.messages.push(...parseRateLimit(section['messages']))
    limits.telemetryMessages.push(...parseRateLimit(section['telemetryMessages']))
    limits.telemetryDataPoints.push(...parseRateLimit(section['telemetryDataPoints']))
  }
  return known ? limits : undefined
}

function wait(windows: RateWindow[], n: number, now: number): number {
  let delay = 0
  for (const w of windows) {
    if (now - w.start >= w.periodMs) {
      w.start = now
      w.used = 0
    }
    // an amount larger than a whole window goes alone into a fresh window instead of waiting forever
    if (w.used > 0 && w.used + n > w.cap) delay = Math.max(delay, w.start + w.periodMs - now)
  }
  return delay
}

/** Milliseconds to wait before a publish of `datapoints` may go; 0 means go now (and it is counted). */
export function rateDelay(limits: SessionLimits | undefined, telemetry: boolean, datapoints: number, now: number): number {
  if (limits === undefined) return 0
  const groups: Array<[RateWindow[], number]> = [[limits.messages, 1]]
  if (telemetry) groups.push([limits.telemetryMessages, 1], [limits.telemetryDataPoints, datapoints])
  let delay = 0
  for (const [windows, n] of groups) delay = Math.max(delay, wait(windows, n, now))
  if (delay > 0) return delay
  for (const [windows, n] of groups) for (const w of windows) w.used += n
  return 0
}
