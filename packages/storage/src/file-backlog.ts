/**
 * The `file` backend's in-memory index of un-acked records, in id order (a Map keeps insertion
 * order and ids only grow). In-flight entries stay in place, so `release()` restores the original
 * order for free. Removing an entry records its id in `acked` (for the ack state) and decrements
 * its segment's live count (a segment at zero can be deleted).
 */
import type { FileEntry, Segment } from './file-load.ts'
import type { StoredEntry, StoredRecord } from './types.ts'

export interface Backlog {
  /** Un-acked records (pending + in flight). */
  readonly size: number
  /** Records not in flight. */
  readonly pending: number
  /** Lowest un-acked id, or undefined when empty. */
  firstId(): number | undefined
  add(entry: FileEntry): void
  /** Removes pending records older than `limit` from the head; returns how many. */
  expireHead(limit: number): number
  /** Removes the `n` oldest pending records (the caller checked there are enough). */
  dropOldest(n: number): void
  /** Up to `max` pending entries, oldest first, now in flight; expired ones on the way are removed. */
  take(max: number, limit: number | undefined): { entries: StoredEntry[]; expired: number }
  /** Removes the given ids; returns how many were there. */
  ack(ids: readonly number[]): number
  release(ids: readonly number[]): void
}

export function createBacklog(loaded: FileEntry[], segments: Segment[], acked: Set<number>): Backlog {
  const entries = new Map<number, FileEntry>(loaded.map((e) => [e.id, e]))
  let inFlight = 0

  function remove(e: FileEntry): void {
    entries.delete(e.id)
    if (e.inFlight) inFlight--
    acked.add(e.id)
    const seg = segments.find((s) => s.seq === e.seq)
    if (seg !== undefined) seg.live--
  }

  return {
    get size(): number {
      return entries.size
    },
    get pending(): number {
      return entries.size - inFlight
    },
    firstId(): number | undefined {
      for (const id of entries.keys()) return id
      return undefined
    },
    add(entry: FileEntry): void {
      entries.set(entry.id, entry)
    },
    expireHead(limit: number): number {
      let n = 0
      for (const e of entries.values()) {
        if (e.inFlight) continue
        if (e.receivedAt >= limit) break
        remove(e)
        n++
      }
      return n
    },
    dropOldest(n: number): void {
      let left = n
      for (const e of entries.values()) {
        if (left === 0) break
        if (e.inFlight) continue
        remove(e)
        left--
      }
    },
    take(max: number, limit: number | undefined): { entries: StoredEntry[]; expired: number } {
      const out: StoredEntry[] = []
      let expired = 0
      for (const e of entries.values()) {
        if (out.length >= max) break
        if (e.inFlight) continue
        if (limit !== undefined && e.receivedAt < limit) {
          remove(e)
          expired++
          continue
        }
        e.inFlight = true
        inFlight++
        out.push({ id: e.id, record: JSON.parse(e.json) as StoredRecord })
      }
      return { entries: out, expired }
    },
    ack(ids: readonly number[]): number {
      let removed = 0
      for (const id of ids) {
        const e = entries.get(id)
        if (e === undefined) continue
        remove(e)
        removed++
      }
      return removed
    },
    release(ids: readonly number[]): void {
      for (const id of ids) {
        const e = entries.get(id)
        if (e === undefined || !e.inFlight) continue
        e.inFlight = false
        inFlight--
      }
    },
  }
}
