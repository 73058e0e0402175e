/**
 * Group commit, shared by the durable backends (file and sqlite).
 *
 * Items added while a flush is running wait and are flushed together by the next single flush, so
 * N concurrent writers cost about one disk flush per round instead of N. One writer pays one flush
 * per item, as it must: durability is never traded for speed.
 */

/** Outcome of one item of a flush: `undefined` = stored, an Error = that item failed. */
export type GroupCommitOutcome = Error | undefined

export interface GroupCommit<T> {
  /** Queues an item; resolves once a flush that includes it succeeded, rejects with its error. */
  add(item: T): Promise<void>
  /** Resolves once nothing is queued or being flushed. */
  idle(): Promise<void>
  /** Items waiting for the next flush (not yet in a running one). */
  readonly queued: number
  /** Items in the flush that is running now. */
  readonly flushing: number
}

interface Waiter<T> {
  item: T
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Creates a group-commit queue around `flush`. `flush` receives every waiting item in call order
 * and either rejects (every item fails with that error) or returns one outcome per item.
 * At most `maxFlushes` flushes run at a time (default 1). More than one suits a flush that only
 * hands its items to a writer which itself commits whatever has queued up together (sqlite's
 * database thread): the next batch is then already waiting when a commit ends.
 */
export function createGroupCommit<T>(flush: (items: T[]) => Promise<ReadonlyArray<GroupCommitOutcome> | void>, maxFlushes = 1): GroupCommit<T> {
  let queue: Waiter<T>[] = []
  /** Items in the flushes that are running. */
  let running = 0
  let flushes = 0
  let scheduled = false
  let idleWaiters: Array<() => void> = []

  function schedule(): void {
    if (scheduled || flushes >= maxFlushes || queue.length === 0) return
    scheduled = true
    // setImmediate, not a microtask: writers woken in the same I/O phase (e.g. several HTTP
    // requests parsed together) join this flush instead of each paying for its own.
    setImmediate(run)
  }

  function settleIdle(): void {
    if (running > 0 || queue.length > 0 || scheduled) return
    const waiters = idleWaiters
    idleWaiters = []
    for (const w of waiters) w()
  }

  function run(): void {
    scheduled = false
    const batch = queue
    queue = []
    running += batch.length
    flushes++
    let result: Promise<ReadonlyArray<GroupCommitOutcome> | void>
    try {
      result = flush(batch.map((w) => w.item))
    } catch (error) {
      result = Promise.reject(error)
    }
    result
      .then(
        (outcomes) => {
          batch.forEach((w, i) => {
            const outcome = outcomes ? outcomes[i] : undefined
            if (outcome === undefined) w.resolve()
            else w.reject(outcome)
          })
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error)
        },
      )
      .finally(() => {
        running -= batch.length
        flushes--
        schedule()
        settleIdle()
      })
  }

  return {
    add(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        schedule()
      })
    },
    idle(): Promise<void> {
      if (running === 0 && queue.length === 0 && !scheduled) return Promise.resolve()
      return new Promise<void>((resolve) => idleWaiters.push(resolve))
    },
    get queued(): number {
      return queue.length
    },
    get flushing(): number {
      return running
    },
  }
}
