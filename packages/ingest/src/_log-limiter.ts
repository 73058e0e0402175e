/**
 * Rate-limited log lines, so a flood of bad requests cannot fill the disk: the first event of a
 * kind (a key, e.g. endpoint + source address) is logged at once; further events of that key are
 * only counted, and once per interval one summary line per key gives the count. The number of keys
 * tracked per interval is bounded; events of keys beyond it are counted in one overflow line.
 * `flush()` writes the pending summaries at once (close() calls it, so no count is lost).
 */
import type { Logger } from './logger.ts'

type Level = 'info' | 'warn'

interface Pending {
  level: Level
  msg: string
  data: Record<string, unknown>
  /** Events after the first one in this interval. */
  more: number
}

export interface LogLimiterOptions {
  /** Length of an interval (ms). */
  intervalMs: number
  /** Keys tracked per interval. @default 1000 */
  maxKeys?: number
}

export class LogLimiter {
  readonly #logger: Logger
  readonly #intervalMs: number
  readonly #maxKeys: number
  readonly #seen = new Map<string, Pending>()
  #overflow = 0
  #timer: NodeJS.Timeout | undefined

  constructor(logger: Logger, options: LogLimiterOptions) {
    this.#logger = logger
    this.#intervalMs = options.intervalMs
    this.#maxKeys = options.maxKeys ?? 1000
  }

  /**
   * Logs `msg` with `data` now if `key` has not been logged in this interval, else counts it for
   * the summary (which repeats `summaryData`, the fields that make up the key).
   */
  report(level: Level, key: string, msg: string, data: Record<string, unknown>, summaryData: Record<string, unknown>): void {
    const pending = this.#seen.get(key)
    if (pending !== undefined) {
      pending.more++
      return
    }
    if (this.#seen.size >= this.#maxKeys) {
      this.#overflow++
      return
    }
    this.#seen.set(key, { level, msg, data: summaryData, more: 0 })
    this.#logger[level](data ?? {}, msg)
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#intervalMs)
      this.#timer.unref()
    }
  }

  /** Writes one summary line per key with events after its first, then starts a new interval. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const seconds = this.#intervalMs / 1000
    for (const p of this.#seen.values()) {
      if (p.more > 0) this.#logger[p.level]({ ...p.data, count: p.more, intervalSeconds: seconds }, `${p.msg}: ${p.more} more like this`)
    }
    if (this.#overflow > 0) {
      this.#logger.warn(
        {
          count: this.#overflow,
          intervalSeconds: seconds,
        },
        `${this.#overflow} more refused requests of other kinds or sources (not itemised: over ${this.#maxKeys} kinds in one interval)`,
      )
    }
    this.#seen.clear()
    this.#overflow = 0
  }
}
