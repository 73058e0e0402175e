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

export function createAttributeWaiters(): AttributeWaiters {
  // by device, then by key: an update is matched against the requests waiting for its device, never
  // walked key by key (an update can carry 100 000 keys; usually nobody waits)
  const waiting = new Map<string, Map<string, Set<Waiter>>>()
  let count = 0

  const remove = (device: string, key: string, waiter: Waiter): void => {
    const byKey = waiting.get(device)
    const set = byKey?.get(key)
    if (set?.delete(waiter)) {
      count--
      if (set.size === 0) byKey!.delete(key)
      if (byKey!.size === 0) waiting.delete(device)
    }
  }

  return {
    wait(device, key, timeoutMs, signal) {
      return new Promise<unknown>((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          remove(device, key, waiter)
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
        let byKey = waiting.get(device)
        if (!byKey) waiting.set(device, (byKey = new Map()))
        let set = byKey.get(key)
        if (!set) byKey.set(key, (set = new Set()))
        set.add(waiter)
        count++
      })
    },
    deliver(device, data) {
      const byKey = waiting.get(device)
      if (byKey === undefined) return 0
      let answered = 0
      // the keys waited for, not the update's keys (a resolved waiter removes itself: Map and Set
      // iteration skips deleted entries)
      for (const [key, set] of byKey) {
        if (!Object.hasOwn(data, key)) continue
        const value = data[key]
        for (const waiter of set) {
          waiter.resolve(value)
          answered++
        }
      }
      return answered
    },
    size: () => count,
    cancelAll(reason) {
      for (const byKey of waiting.values()) for (const set of byKey.values()) for (const w of set) w.reject(new Error(reason))
    },
  }
}
