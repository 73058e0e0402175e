/**
 * Holds HTTP requests that wait for a shared-attribute update (`responseExpected`), keyed by device
 * AND attribute key, so an update for one device never answers another device's request (the
 * original hands any update to whichever request polls first).
 */

export class AttributeWaitTimeout extends Error {
  readonly code = 'TIMEOUT'
  override readonly name = 'AttributeWaitTimeout'
}

interface Waiter {
  resolve(value: unknown): void
  reject(error: Error): void
}

export interface AttributeWaiters {
  /** Resolves with the attribute's value from the next update for `device` carrying `key`. */
  wait(device: string, key: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown>
  /** Feeds an update from ThingsBoard (`{device, data}` of `v1/gateway/attributes`). */
  deliver(device: string, data: Record<string, unknown>): number
  /** Number of requests waiting. */
  size(): number
  /** Rejects every waiter (shutdown). */
  cancelAll(reason: string): void
}

const keyOf = (device: string, key: string): string => `${device}\u0000${key}`

export function createAttributeWaiters(): AttributeWaiters {
  const waiting = new Map<string, Set<Waiter>>()
  let count = 0

  const remove = (id: string, waiter: Waiter): void => {
    const set = waiting.get(id)
    if (set?.delete(waiter)) {
      count--
      if (set.size === 0) waiting.delete(id)
    }
  }

  return {
    wait(device, key, timeoutMs, signal) {
      return new Promise<unknown>((resolve, reject) => {
        const id = keyOf(device, key)
        const cleanup = (): void => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          remove(id, waiter)
        }
        const waiter: Waiter = {
          resolve: (v) => {
            cleanup()
            resolve(v)
          },
          reject: (e) => {
            cleanup()
            reject(e)
          },
        }
        const onAbort = (): void => waiter.reject(new Error('request aborted by the client'))
        const timer = setTimeout(
          () => waiter.reject(new AttributeWaitTimeout(`no update of "${key}" for device "${device}" within ${timeoutMs} ms`)),
          timeoutMs,
        )
        timer.unref?.()
        if (signal?.aborted) return onAbort()
        signal?.addEventListener('abort', onAbort, { once: true })
        let set = waiting.get(id)
        if (!set) waiting.set(id, (set = new Set()))
        set.add(waiter)
        count++
      })
    },
    deliver(device, data) {
      let answered = 0
      for (const [key, value] of Object.entries(data)) {
        const set = waiting.get(keyOf(device, key))
        if (!set) continue
        for (const waiter of set) {
          waiter.resolve(value)
          answered++
        }
      }
      return answered
    },
    size: () => count,
    cancelAll(reason) {
      for (const set of waiting.values()) for (const w of set) w.reject(new Error(reason))
    },
  }
}
