/**
 * The downlink's bounds: messages worked on at once (`maxActiveMessages`), messages waiting for
 * their turn (`maxQueuedMessages`), the payload bytes both hold (`maxQueuedBytes`), and the HTTP
 * requests built and not finished (`maxRequests`). Nothing here grows without bound.
 */

/** One message asking for room. */
export interface Ticket {
  /** Payload size counted against `maxQueuedBytes` until `finish`. */
  bytes: number
  /** Epoch ms after which a waiting ticket is removed and `cancel('expired')` called (RPC deadline). */
  deadlineAt: number | undefined
  /** Room granted: the message is worked on now; call `finish(bytes)` when done. */
  start(): void
  /** Removed while waiting: `expired` at its deadline, `closed` when the dispatcher closes. */
  cancel(reason: 'expired' | 'closed'): void
  timer?: ReturnType<typeof setTimeout>
}

export type Offer = 'started' | 'queued' | 'full-queue' | 'full-bytes'

export interface Admission {
  offer(ticket: Ticket): Offer
  finish(bytes: number): void
  /** Cancels every waiting ticket (`closed`); later offers are still answered (the dispatcher refuses them first). */
  cancelAll(): void
  active(): number
  queued(): number
  bytes(): number
}

export function createAdmission(maxActive: number, maxQueued: number, maxBytes: number): Admission {
  let active = 0
  let bytes = 0
  const queue = new Set<Ticket>() // insertion order: FIFO; delete is O(1) when a deadline passes

  function startNext(): void {
    while (active < maxActive && queue.size > 0) {
      const next = queue.values().next().value as Ticket
      queue.delete(next)
      if (next.timer !== undefined) clearTimeout(next.timer)
      if (next.deadlineAt !== undefined && Date.now() >= next.deadlineAt) {
        bytes -= next.bytes
        next.cancel('expired') // its timer is due: never started after its deadline
        continue
      }
      active++
      next.start()
    }
  }

  return {
    offer(ticket) {
      const empty = active === 0 && queue.size === 0
      // a lone message larger than the byte bound is still taken when nothing else is held
      if (!empty && bytes + ticket.bytes > maxBytes) return 'full-bytes'
      if (active < maxActive && queue.size === 0) {
        active++
        bytes += ticket.bytes
        ticket.start()
        return 'started'
      }
      if (queue.size >= maxQueued) return 'full-queue'
      bytes += ticket.bytes
      queue.add(ticket)
      if (ticket.deadlineAt !== undefined) {
        ticket.timer = setTimeout(
          () => {
            if (!queue.delete(ticket)) return
            bytes -= ticket.bytes
            ticket.cancel('expired')
          },
          Math.max(0, ticket.deadlineAt - Date.now()),
        )
      }
      return 'queued'
    },
    finish(done) {
      active--
      bytes -= done
      startNext()
    },
    cancelAll() {
      const waiting = [...queue]
      queue.clear()
      for (const ticket of waiting) {
        if (ticket.timer !== undefined) clearTimeout(ticket.timer)
        bytes -= ticket.bytes
        ticket.cancel('closed')
      }
    },
    active: () => active,
    queued: () => queue.size,
    bytes: () => bytes,
  }
}

/** A counting semaphore with a synchronous fast path: the `maxRequests` bound. */
export interface Slots {
  tryAcquire(): boolean
  /** Waits for a slot; rejects with `signal.reason` when the signal aborts first. */
  acquire(signal: AbortSignal): Promise<void>
  release(): void
  used(): number
  waiting(): number
}

export function createSlots(max: number): Slots {
  let used = 0
  const waiters = new Set<{ resolve(): void; signal: AbortSignal; onAbort(): void }>()
  return {
    tryAcquire() {
      if (used >= max || waiters.size > 0) return false
      used++
      return true
    },
    acquire(signal) {
      if (signal.aborted) return Promise.reject(signal.reason)
      if (used < max && waiters.size === 0) {
        used++
        return Promise.resolve()
      }
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          resolve,
          signal,
          onAbort: () => {
            waiters.delete(waiter)
            reject(signal.reason)
          },
        }
        waiters.add(waiter)
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      })
    },
    release() {
      const next = waiters.values().next().value
      if (next !== undefined) {
        waiters.delete(next)
        next.signal.removeEventListener('abort', next.onAbort)
        next.resolve() // the slot passes on
        return
      }
      used--
    },
    used: () => used,
    waiting: () => waiters.size,
  }
}

/** A rate-limited log line for drops: the first at once, then one summary per interval with the count. */
export function createDropLog(log: (message: string) => void, intervalMs: number): (what: string) => void {
  let lastAt = -Infinity
  let suppressed = 0
  return (what) => {
    const now = Date.now()
    if (now - lastAt >= intervalMs) {
      const more = suppressed > 0 ? ` (${suppressed} more dropped since the last such line)` : ''
      suppressed = 0
      lastAt = now
      log(`${what}${more}`)
    } else suppressed++
  }
}
