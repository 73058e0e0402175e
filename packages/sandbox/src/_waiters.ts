import { SandboxError } from './errors.ts'

interface Waiter<S> {
  check(state: S): boolean
  reject(error: Error): void
}

/** `waitFor` support: predicates re-checked after every change, each bounded by its own timeout. */
export interface Waiters<S> {
  add<T>(predicate: (state: S) => T | undefined | null | false | 0 | '', timeoutMs: number): Promise<T>
  /** Re-checks every pending predicate against the current state. */
  notify(): void
  rejectAll(error: Error): void
}

export function createWaiters<S>(getState: () => S): Waiters<S> {
  const waiters = new Set<Waiter<S>>()
  return {
    add<T>(predicate: (state: S) => T | undefined | null | false | 0 | '', timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        let lastError: unknown
        const waiter: Waiter<S> = {
          check(state) {
            let result: T | undefined | null | false | 0 | ''
            try {
              result = predicate(state)
            } catch (error) {
              // Treat a throwing predicate (e.g. a device that does not exist yet) as "not yet".
              lastError = error
              return false
            }
            if (!result) return false
            finish()
            resolve(result as T)
            return true
          },
          reject(error) {
            finish()
            reject(error)
          },
        }
        const timer = setTimeout(() => {
          const why = lastError instanceof Error ? ` (predicate last threw: ${lastError.message})` : ''
          waiter.reject(new SandboxError('WAIT_TIMEOUT', `sandbox: waitFor predicate not satisfied within ${timeoutMs} ms${why}`, { cause: lastError }))
        }, timeoutMs)
        function finish(): void {
          clearTimeout(timer)
          waiters.delete(waiter)
        }
        waiters.add(waiter)
        waiter.check(getState())
      })
    },
    notify() {
      if (waiters.size === 0) return
      const state = getState()
      for (const w of waiters) w.check(state)
    },
    rejectAll(error) {
      for (const w of waiters) w.reject(error)
    },
  }
}
