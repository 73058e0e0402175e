/** Per-origin concurrency bound: one slow or dead target fills only its own slots. */

interface Waiter {
  resolve(release: () => void): void
  reject(reason: unknown): void
  signal: AbortSignal
  onAbort(): void
}

interface Slots {
  active: number
  queue: Waiter[]
}

export interface OriginLimiter {
  /** Waits for a free slot of `origin`; rejects with `signal.reason` when the signal aborts first. */
  acquire(origin: string, signal: AbortSignal): Promise<() => void>
  /** Requests holding a slot. */
  active(): number
  /** Requests waiting for a slot. */
  waiting(): number
}

export function createOriginLimiter(maxPerOrigin: number): OriginLimiter {
  const origins = new Map<string, Slots>()
  let active = 0
  let waiting = 0

  function releaser(origin: string, slots: Slots): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = slots.queue.shift()
      if (next !== undefined) {
        waiting--
        next.signal.removeEventListener('abort', next.onAbort)
        next.resolve(releaser(origin, slots)) // the slot passes on; counts stay
        return
      }
      slots.active--
      active--
      if (slots.active === 0) origins.delete(origin)
    }
  }

  return {
    acquire(origin: string, signal: AbortSignal): Promise<() => void> {
      if (signal.aborted) return Promise.reject(signal.reason)
      let slots = origins.get(origin)
      if (slots === undefined) {
        slots = { active: 0, queue: [] }
        origins.set(origin, slots)
      }
      if (slots.active < maxPerOrigin) {
        slots.active++
        active++
        return Promise.resolve(releaser(origin, slots))
      }
      const queue = slots.queue
      return new Promise<() => void>((resolve, reject) => {
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
