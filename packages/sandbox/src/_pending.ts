import { SandboxError } from './errors.ts'

interface Entry {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

/** RPCs sent to the gateway and waiting for its reply, keyed by device + id. */
export interface PendingRpcs {
  /** A fresh request id (unique for the sandbox's lifetime). */
  nextId(): number
  wait(device: string, id: number, method: string, timeoutMs: number): Promise<unknown>
  /** Settles the matching request; false when none waits (late or unknown reply). */
  settle(device: string, id: number | string, data: unknown): boolean
  /** Rejects the matching request (e.g. its publish failed). */
  fail(device: string, id: number | string, error: Error): void
  readonly size: number
  rejectAll(error: Error): void
}

const keyOf = (device: string, id: number | string): string => `${String(id)}\u0000${device}`

export function createPendingRpcs(): PendingRpcs {
  const waiting = new Map<string, Entry>()
  let counter = 0
  return {
    nextId: () => ++counter,
    wait(device, id, method, timeoutMs) {
      const key = keyOf(device, id)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(key)
          const to = device === '' ? 'the gateway device' : `device "${device}"`
          reject(new SandboxError('RPC_TIMEOUT', `sandbox: RPC "${method}" (id ${id}) to ${to} got no reply within ${timeoutMs} ms`))
        }, timeoutMs)
        waiting.set(key, { resolve, reject, timer })
      })
    },
    settle(device, id, data) {
      const key = keyOf(device, id)
      const entry = waiting.get(key)
      if (!entry) return false
      waiting.delete(key)
      clearTimeout(entry.timer)
      entry.resolve(data)
      return true
    },
    fail(device, id, error) {
      const key = keyOf(device, id)
      const entry = waiting.get(key)
      if (!entry) return
      waiting.delete(key)
      clearTimeout(entry.timer)
      entry.reject(error)
    },
    get size() {
      return waiting.size
    },
    rejectAll(error) {
      const entries = [...waiting.values()]
      waiting.clear()
      for (const e of entries) {
        clearTimeout(e.timer)
        e.reject(error)
      }
    },
  }
}
