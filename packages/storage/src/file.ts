/**
 * `file` storage: records appended to CRC-checked segment files, fsync'ed before `put()` resolves
 * (group commit), removed only by `ack()`, read back in order after a restart or a crash.
 * Format: see file-format.ts; ack state: file-acks.ts.
 */
import { mkdir, truncate, unlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import { StorageFullError, StorageError } from './errors.ts'
import { defaultLogger } from './logger.ts'
import type { FileStorageOptions, FullPolicy, StorageBackend, StorageStats, StoredEntry, StoredRecord } from './types.ts'
import { toRanges, writeAckState, type AckState } from './file-acks.ts'
import { encodeLine } from './file-format.ts'
import { createGroupCommit } from './file-group-commit.ts'
import { createBacklog } from './file-backlog.ts'
import { loadFolder } from './file-load.ts'
import { compactIds, ID_COMPACT_AT, recoverCompaction } from './file-compact.ts'
import { createSegmentWriter } from './file-writer.ts'
import { describeIoError, positiveInt } from './file-util.ts'

export type { FileStorageOptions } from './types.ts'
export type { FileSync } from './file-writer.ts'
export { defaultFileSync } from './file-writer.ts'

/** `stats()` of the file backend: the common counters plus write-path counters. */
export interface FileStorageStats extends StorageStats {
  /** Group commits done (each one write + fdatasync per touched segment). */
  flushes: number
  /** fsync/fdatasync calls made by puts (data files and the folder). */
  fsyncs: number
  /** Segment files currently on disk. */
  segments: number
}

export interface FileStorage extends StorageBackend {
  stats(): FileStorageStats
}

export const fileStorageDefaults: { maxFileCount: number; maxRecordsPerFile: number; fullPolicy: FullPolicy } = {
  maxFileCount: 10,
  maxRecordsPerFile: 10_000,
  fullPolicy: 'reject',
}

interface PutItem {
  jsons: string[]
  receivedAts: number[]
}

/** Opens (creating when missing) a file-backed store in `options.dir` and loads its backlog. */
export async function createFileStorage(options: FileStorageOptions): Promise<FileStorage> {
  const logger = options.logger ?? defaultLogger
  const maxFileCount = positiveInt('file', 'maxFileCount', options.maxFileCount ?? fileStorageDefaults.maxFileCount)
  const maxRecordsPerFile = positiveInt('file', 'maxRecordsPerFile', options.maxRecordsPerFile ?? fileStorageDefaults.maxRecordsPerFile)
  const maxRecords = positiveInt('file', 'maxRecords', options.maxRecords ?? maxFileCount * maxRecordsPerFile)
  const capacity = Math.min(maxRecords, maxFileCount * maxRecordsPerFile)
  const fullPolicy = options.fullPolicy ?? fileStorageDefaults.fullPolicy
  const ttlMs = options.ttlMs
  const now = options.now ?? Date.now
  if (typeof options.dir !== 'string' || options.dir === '') {
    throw new StorageError('INVALID_OPTIONS', 'file storage: dir (storage.dataFolderPath) must be a folder path')
  }
  const dir = resolve(options.dir)

  try {
    await mkdir(dir, { recursive: true })
  } catch (error) {
    throw new StorageError('STORAGE_IO', `file storage: cannot create the data folder ${dir}: ${describeIoError(error)}`, { cause: error })
  }
  let loaded: Awaited<ReturnType<typeof loadFolder>>
  try {
    if (await recoverCompaction(dir)) logger.warn(`file storage: finished renumbering the records in ${dir} (interrupted at the last start)`)
    loaded = await loadFolder(dir, logger)
    if (loaded.nextId >= ID_COMPACT_AT) {
      // ids near 2^53 would collide: renumber the un-acked records 1..n, in order
      logger.warn(
        `file storage: the files in ${dir} hold ids up to ${loaded.nextId - 1}; renumbering ${loaded.entries.length} un-acked record(s) from 1 so new ids cannot collide`,
      )
      await compactIds(
        dir,
        loaded.entries.map((e) => e.json),
      )
      loaded = await loadFolder(dir, logger)
    }
  } catch (error) {
    throw new StorageError('STORAGE_IO', `file storage: cannot read the data folder ${dir}: ${describeIoError(error)}`, { cause: error })
  }

  const segments = loaded.segments
  const acked = new Set<number>(loaded.ackedOnDisk)
  const backlog = createBacklog(loaded.entries, segments, acked)
  let ackedBelowFloor = loaded.ackedBelow
  let nextId = loaded.nextId
  let writingFrom: number | undefined
  let reserved = 0
  let closed = false
  let flushes = 0
  let droppedOldest = 0
  let expired = 0
  let lastDropLog = 0
  const corruptSkipped = loaded.corrupt

  function ackState(): AckState {
    let floor = backlog.firstId() ?? nextId
    if (writingFrom !== undefined && writingFrom < floor) floor = writingFrom
    floor = Math.max(floor, ackedBelowFloor)
    return { nextId, ackedBelow: floor, ranges: toRanges(acked, floor) }
  }

  async function deleteDrained(): Promise<void> {
    const active = writer.activeSeq()
    for (let i = 0; i < segments.length;) {
      const s = segments[i]
      // the newest segment stays: it is appended to next (or holds the highest id ever written)
      if (s !== undefined && s.live === 0 && s.seq !== active && i < segments.length - 1) {
        try {
          await unlink(s.path)
          segments.splice(i, 1)
          continue
        } catch (error) {
          logger.warn(`file storage: cannot delete drained segment ${s.path}: ${describeIoError(error)}`)
        }
      }
      i++
    }
  }

  const ackCommit = createGroupCommit<null>(async () => {
    const state = ackState()
    let failure: unknown
    try {
      await writeAckState(dir, state)
      ackedBelowFloor = state.ackedBelow
      for (const id of acked) if (id < state.ackedBelow) acked.delete(id)
    } catch (error) {
      failure = error
    }
    // Safe even when the ack state could not be written (the newest segment always stays, so ids
    // are never reused), and on a full disk it is what frees space.
    await deleteDrained()
    if (failure !== undefined) throw failure
  })

  async function persistAcks(): Promise<void> {
    try {
      await ackCommit.add(null)
    } catch (error) {
      logger.warn(`file storage: cannot persist acks in ${dir} (acked records may be sent again after a restart): ${describeIoError(error)}`)
    }
  }

  // open: cut a torn tail off the last segment, then write the ack state (also proves the folder is writable)
  try {
    const lastSeg = segments[segments.length - 1]
    if (loaded.truncateLastTo !== undefined && lastSeg !== undefined) await truncate(lastSeg.path, loaded.truncateLastTo)
    await writeAckState(dir, ackState())
  } catch (error) {
    throw new StorageError('STORAGE_IO', `file storage: the data folder ${dir} is not writable: ${describeIoError(error)}`, { cause: error })
  }
  const writer = createSegmentWriter(dir, segments, maxRecordsPerFile, options.sync)
  await deleteDrained()
  if (backlog.size > 0) logger.info(`file storage: loaded ${backlog.size} un-acked record(s) from ${dir}`)

  function expireHead(): void {
    if (ttlMs === undefined) return
    const n = backlog.expireHead(now() - ttlMs)
    if (n > 0) {
      expired += n
      void persistAcks()
    }
  }

  function makeRoom(n: number): void {
    const overflow = backlog.size + reserved + n - capacity
    if (overflow <= 0) return
    if (fullPolicy === 'reject' || overflow > backlog.pending) {
      throw new StorageFullError(`file storage is full: ${backlog.size + reserved} of ${capacity} records stored in ${dir}, ${n} more do not fit`, capacity)
    }
    backlog.dropOldest(overflow)
    droppedOldest += overflow
    const t = Date.now()
    if (t - lastDropLog >= 10_000) {
      lastDropLog = t
      logger.warn({ droppedOldest }, `file storage is full (${capacity} records): dropped the ${overflow} oldest pending record(s)`)
    }
    void persistAcks()
  }

  const putCommit = createGroupCommit<PutItem>(async (items) => {
    const count = items.reduce((n, it) => n + it.jsons.length, 0)
    if (nextId + count > Number.MAX_SAFE_INTEGER) {
      reserved -= count
      throw new StorageError('STORAGE_IO', `file storage: ids in ${dir} are exhausted (next ${nextId}); reopen the storage to renumber them`)
    }
    const firstId = nextId
    nextId += count
    writingFrom = firstId
    try {
      const lines: string[] = []
      let id = firstId
      for (const it of items) for (const json of it.jsons) lines.push(encodeLine(id++, json))
      let seqs: number[]
      try {
        seqs = await writer.append(lines)
      } catch (error) {
        throw new StorageError('STORAGE_IO', `file storage: cannot write records to ${dir}: ${describeIoError(error)}`, { cause: error })
      }
      flushes++
      id = firstId
      let k = 0
      for (const it of items) {
        it.jsons.forEach((json, j) => {
          const seq = seqs[k++] as number
          backlog.add({ id, seq, json, receivedAt: it.receivedAts[j] as number, inFlight: false })
          id++
        })
      }
    } finally {
      writingFrom = undefined
      reserved -= count
    }
  })

  function assertOpen(op: string): void {
    if (closed) throw new StorageError('STORAGE_CLOSED', `file storage (${dir}): ${op} after close()`)
  }

  return {
    kind: 'file',

    async put(records: readonly StoredRecord[]): Promise<void> {
      assertOpen('put')
      if (records.length === 0) return
      const jsons: string[] = []
      for (const [i, record] of records.entries()) {
        try {
          jsons.push(JSON.stringify(record))
        } catch (error) {
          throw new StorageError('INVALID_RECORD', `file storage: record ${i} cannot be stored as JSON: ${(error as Error).message}`, { cause: error })
        }
      }
      expireHead()
      makeRoom(records.length)
      reserved += records.length
      await putCommit.add({ jsons, receivedAts: records.map((r) => r.receivedAt) })
    },

    async read(max: number): Promise<StoredEntry[]> {
      assertOpen('read')
      const want = Math.max(0, Math.floor(max))
      if (want === 0) return []
      const taken = backlog.take(want, ttlMs === undefined ? undefined : now() - ttlMs)
      if (taken.expired > 0) {
        expired += taken.expired
        void persistAcks()
      }
      return taken.entries
    },

    async ack(ids: readonly number[]): Promise<void> {
      if (closed) return
      if (backlog.ack(ids) > 0) await persistAcks()
    },

    release(ids: readonly number[]): void {
      backlog.release(ids)
    },

    size(): number {
      return backlog.size
    },

    stats(): FileStorageStats {
      return {
        kind: 'file',
        size: backlog.size,
        droppedOldest,
        expired,
        corruptSkipped,
        flushes,
        fsyncs: writer.fsyncs,
        segments: segments.length,
      }
    },

    async close(): Promise<void> {
      if (closed) return
      closed = true
      await putCommit.idle()
      await ackCommit.idle()
      await persistAcks()
      await writer.close()
    },
  }
}
