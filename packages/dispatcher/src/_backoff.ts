/** Retry timing: exponential backoff with full jitter, and `Retry-After`. */

const DELTA_SECONDS = /^\d+$/
/** Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with a day name. */
const HTTP_DATE = /^[A-Za-z]{3}/

/** Delay before try `attempt + 1` after `attempt` failed tries: random in [0, min(cap, base·2^(attempt-1))). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.floor(random() * ceiling)
}

/**
 * Parses a `Retry-After` header (delta seconds or an HTTP date) into ms from `now`, capped at
 * `capMs`. Undefined when absent or unparsable.
 */
export function retryAfterMs(header: string | null | undefined, capMs: number, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined
  const text = header.trim()
  if (text === '') return undefined
  let ms: number
  if (DELTA_SECONDS.test(text)) ms = Number(text) * 1000
  else {
    if (!HTTP_DATE.test(text)) return undefined
    const at = Date.parse(text)
    if (Number.isNaN(at)) return undefined
    ms = at - now
  }
  return Math.min(capMs, Math.max(0, ms))
}
