/** Per-origin concurrency bound: one slow or dead target fills only its own slots. */

/** A held slot: its number (0 ≤ slot < maxPerOrigin, unique among the origin's held slots) and how to give it back. */
export interface Lease {
  slot: number
  release(): void
}

interface Waiter {
  resolve(lease: Lease): void
  reject(reason: unknown): void
  signal: AbortSignal
  onAbort(): void
}

interface Slots {
  active: number
  queue: Waiter[]
  /** Slot numbers not held. */
  free: number[]
}

export interface OriginLimiter {
  /** Waits for a free slot of `origin`; rejects with `signal.reason` when the signal aborts first. */
  acquire(origin: string, signal: AbortSignal): Promise<Lease>
  /** Requests holding a slot. */
  active(): number
  /** Requests waiting for a slot. */
  waiting(): number
}

export function createOriginLimiter(maxPerOrigin: number): OriginLimiter {
  const origins = new Map<string, Slots>()
  let active = 0
  let waiting = 0

  function lease(origin: string, slots: Slots, slot: number): Lease {
    let released = false
    return {
      slot,
      release: () => {
        if (released) return
        released = true
        const next = slots.queue.shift()
        if (next !== undefined) {
          waiting--
          next.signal.removeEventListener('abort', next.onAbort)
          next.resolve(lease(origin, slots, slot)) // the slot passes on; counts stay
          return
        }
        slots.active--
        active--
        slots.free.push(slot)
        if (slots.active === 0) origins.delete(origin)
      },
    }
  }

  return {
    acquire(origin: string, signal: AbortSignal): Promise<Lease> {
      if (signal.aborted) return Promise.reject(signal.reason)
      let slots = origins.get(origin)
      if (slots === undefined) {
        slots = { active: 0, queue: [], free: Array.from({ length: maxPerOrigin }, (_, i) => maxPerOrigin - 1 - i) }
        origins.set(origin, slots)
      }
      if (slots.active < maxPerOrigin) {
        slots.active++
        active++
        return Promise.resolve(lease(origin, slots, slots.free.pop() as number))
      }
      const queue = slots.queue
      return new Promise<Lease>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          signal,
          onAbort: () => {
            const at = queue.indexOf(waiter)
            if (at !== -1) {
              queue.splice(at, 1)
              waiting--
            }
            reject(signal.reason)
          },
        }
        queue.push(waiter)
        waiting++
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      })
    },
    active: () => active,
    waiting: () => waiting,
  }
}
