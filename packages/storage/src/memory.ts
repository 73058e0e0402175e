import { StorageFullError, StorageError } from './errors.ts'
import type { BackendOptions, FullPolicy, StorageBackend, StorageStats, StoredEntry, StoredRecord } from './types.ts'

/** Options of {@link createMemoryStorage}. */
export interface MemoryStorageOptions extends Omit<BackendOptions, 'maxRecords'> {
  /** Capacity in records. @default 100000 */
  maxRecords?: number
}

export const memoryStorageDefaults: { maxRecords: number; fullPolicy: FullPolicy } = {
  maxRecords: 100_000,
  fullPolicy: 'reject',
}

/**
 * Bounded in-process outbox storage. Fast, but everything is lost when the process exits.
 * Pending entries live in an id-sorted array consumed from a moving head; in-flight entries in a map.
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): StorageBackend {
  const maxRecords = options.maxRecords ?? memoryStorageDefaults.maxRecords
  const fullPolicy = options.fullPolicy ?? memoryStorageDefaults.fullPolicy
  const ttlMs = options.ttlMs
  const now = options.now ?? Date.now
  if (!Number.isInteger(maxRecords) || maxRecords < 1) {
    throw new StorageError('INVALID_OPTIONS', `memory storage: maxRecords must be a positive integer, got ${String(maxRecords)}`)
  }

  let pending: StoredEntry[] = []
  let head = 0
  const inFlight = new Map<number, StoredEntry>()
  let nextId = 1
  let closed = false
  let droppedOldest = 0
  let expired = 0

  const pendingCount = (): number => pending.length - head

  function compact(): void {
    if (head > 1024 && head * 2 > pending.length) {
      pending = pending.slice(head)
      head = 0
    }
  }

  function expireHead(): void {
    if (ttlMs === undefined) return
    const limit = now() - ttlMs
    while (head < pending.length && (pending[head] as StoredEntry).record.receivedAt < limit) {
      pending[head] = undefined as unknown as StoredEntry
      head++
      expired++
    }
    compact()
  }

  function assertOpen(op: string): void {
    if (closed) throw new StorageError('STORAGE_CLOSED', `memory storage: ${op} after close()`)
  }

  return {
    kind: 'memory',

    async put(records: readonly StoredRecord[]): Promise<void> {
      assertOpen('put')
      if (records.length === 0) return
      expireHead()
      const overflow = pendingCount() + inFlight.size + records.length - maxRecords
      if (overflow > 0) {
        if (fullPolicy === 'reject' || overflow > pendingCount()) {
          throw new StorageFullError(
            `memory storage is full: ${pendingCount() + inFlight.size} of ${maxRecords} records stored, ${records.length} more do not fit`,
            maxRecords,
          )
        }
        for (let i = 0; i < overflow; i++) pending[head + i] = undefined as unknown as StoredEntry
        head += overflow
        droppedOldest += overflow
        compact()
      }
      for (const record of records) pending.push({ id: nextId++, record })
    },

    async read(max: number): Promise<StoredEntry[]> {
      assertOpen('read')
      expireHead()
      const n = Math.min(Math.max(0, Math.floor(max)), pendingCount())
      const out = pending.slice(head, head + n)
      for (let i = 0; i < n; i++) pending[head + i] = undefined as unknown as StoredEntry
      head += n
      compact()
      for (const entry of out) inFlight.set(entry.id, entry)
      return out
    },

    async ack(ids: readonly number[]): Promise<void> {
      let fromPending: Set<number> | undefined
      for (const id of ids) {
        if (!inFlight.delete(id)) (fromPending ??= new Set()).add(id)
      }
      if (fromPending !== undefined) {
        const rest = pending.slice(head).filter((e) => !fromPending.has(e.id))
        pending = rest
        head = 0
      }
    },

    release(ids: readonly number[]): void {
      const back: StoredEntry[] = []
      for (const id of ids) {
        const entry = inFlight.get(id)
        if (entry === undefined) continue
        inFlight.delete(id)
        back.push(entry)
      }
      if (back.length === 0) return
      back.sort((a, b) => a.id - b.id)
      const rest = pending.slice(head)
      const merged: StoredEntry[] = []
      let i = 0
      let j = 0
      while (i < back.length || j < rest.length) {
        const a = back[i]
        const b = rest[j]
        if (b === undefined || (a !== undefined && a.id < b.id)) {
          merged.push(a as StoredEntry)
          i++
        } else {
          merged.push(b)
          j++
        }
      }
      pending = merged
      head = 0
    },

    size(): number {
      return pendingCount() + inFlight.size
    },

    stats(): StorageStats {
      return { kind: 'memory', size: pendingCount() + inFlight.size, droppedOldest, expired, corruptSkipped: 0 }
    },

    async close(): Promise<void> {
      closed = true
    },
  }
}
