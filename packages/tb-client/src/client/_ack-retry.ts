/**
 * Storage acks of delivered records. A record whose publish ThingsBoard confirmed (PUBACK) but whose
 * `storage.ack` failed is delivered: it is NOT released (a release would send it again at once, in a
 * tight loop while the storage keeps failing). It stays in flight in the storage, so it is never read
 * again, still counts in `storage.size()` (a flush waits for it), and its ack is retried with a capped
 * exponential backoff until it succeeds. A later successful ack (the storage works again) retries the
 * waiting ones at once. Warnings are rate-limited: one when acks start failing, then at most one per
 * `warnIntervalMs`, and one info line when they work again.
 */
import type { Logger } from '../logger.ts'
import type { StorageBackend } from '@restgate/storage'

export interface AckRetryDeps {
  storage: Pick<StorageBackend, 'ack'>
  /** First retry delay; doubles per failed retry up to `maxMs`. */
  initialMs: number
  maxMs: number
  /** @default 60000 */
  warnIntervalMs?: number
  /** Records were removed from storage (first try or retry). */
  onAcked(count: number): void
  logger: Logger
}

export interface AckRetry {
  /** Acks delivered records; on failure keeps them for a retry. Never rejects. True when acked now. */
  ack(ids: readonly number[]): Promise<boolean>
  /** Delivered records whose ack failed and waits for a retry. */
  pending(): number
  /** Stops the timer and tries once more (stop()). True when nothing is left unacked. */
  close(): Promise<boolean>
}

const DEFAULT_WARN_INTERVAL_MS = 60_000

const text = (e: unknown): string => (e instanceof Error ? e.message : String(e))

export function createAckRetry(d: AckRetryDeps): AckRetry {
  const warnIntervalMs = d.warnIntervalMs ?? DEFAULT_WARN_INTERVAL_MS
  let waiting: number[] = []
  /** Consecutive failed retries (sets the backoff). */
  let retryFailures = 0
  /** Failed acks since the storage last acked successfully (for the log lines). */
  let failures = 0
  let suppressed = 0
  let lastWarnAt = Number.NEGATIVE_INFINITY
  let timer: ReturnType<typeof setTimeout> | undefined
  let retrying: Promise<void> | undefined
  let closed = false

  function failed(error: unknown): void {
    failures++
    const now = Date.now()
    if (now - lastWarnAt < warnIntervalMs) {
      suppressed++
      return
    }
    const more = suppressed > 0 ? ` (${suppressed} more failure(s) since the last warning)` : ''
    d.logger.warn(
      `storage ack failed: ${waiting.length} record(s) delivered to ThingsBoard stay in storage; they are not sent again and their removal is retried${more}: ${text(error)}`,
    )
    lastWarnAt = now
    suppressed = 0
  }

  function recovered(count: number): void {
    if (failures > 0) {
      d.logger.info({ count }, `storage ack works again after ${failures} failure(s); delivered records removed from storage`)
      failures = 0
      suppressed = 0
      lastWarnAt = Number.NEGATIVE_INFINITY
    }
    d.onAcked(count)
  }

  function schedule(): void {
    if (closed || timer !== undefined || retrying !== undefined || waiting.length === 0) return
    const delay = Math.min(d.maxMs, d.initialMs * 2 ** Math.min(retryFailures, 30))
    timer = setTimeout(() => {
      timer = undefined
      void retry()
    }, delay)
  }

  /** One retry of every waiting id at a time. */
  function retry(): Promise<void> {
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    retrying ??= (async () => {
      await Promise.resolve() // `retrying` is set before anything below can finish
      const ids = waiting
      waiting = []
      try {
        await d.storage.ack(ids)
        retryFailures = 0
        recovered(ids.length)
      } catch (error) {
        waiting = ids.concat(waiting)
        retryFailures++
        failed(error)
      } finally {
        retrying = undefined
      }
      schedule()
    })()
    return retrying
  }

  return {
    async ack(ids) {
      try {
        await d.storage.ack(ids)
      } catch (error) {
        for (const id of ids) waiting.push(id)
        failed(error)
        schedule()
        return false
      }
      recovered(ids.length)
      // the storage works again: the waiting ones need not wait for their timer
      if (waiting.length > 0 && !closed) void retry()
      return true
    },

    pending: () => waiting.length,

    async close() {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      if (retrying !== undefined) await retrying
      if (waiting.length > 0) await retry()
      return waiting.length === 0
    },
  }
}
