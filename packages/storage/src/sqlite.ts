/**
 * `sqlite` storage (better-sqlite3, WAL, synchronous=FULL). The databases live in a worker thread
 * (sqlite-worker.ts) so commits never block the event loop; concurrent puts are group-committed into
 * one transaction. Records are removed only by `ack()`; TTL purges records older than `ttlMs`.
 */
import { createRequire } from 'node:module'
import { basename, dirname, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import { StorageFullError, StorageError } from './errors.ts'
import { defaultLogger } from './logger.ts'
import { createGroupCommit, type GroupCommitOutcome } from './file-group-commit.ts'
import { positiveInt } from './file-util.ts'
import type { PutRows, SqlitePragmas, WorkerCounters, WorkerInit, WorkerReply, WorkerRequest } from './sqlite-protocol.ts'
import type { FullPolicy, SqliteStorageOptions, StorageBackend, StorageStats, StoredEntry, StoredRecord } from './types.ts'

export type { SqliteStorageOptions } from './types.ts'
export type { SqlitePragmas } from './sqlite-protocol.ts'

/** `stats()` of the sqlite backend: the common counters plus database counters. */
export interface SqliteStorageStats extends StorageStats {
  /** Write transactions committed (each one WAL fsync). Group commit keeps this far below the put count. */
  transactions: number
  /** Database files in use. */
  files: number
  /** Stored bytes as counted against sizeLimitMb × maxDbAmount (payload + a fixed per-row overhead). */
  bytes: number
}

export interface SqliteStorage extends StorageBackend {
  stats(): SqliteStorageStats
  /** Removes pending records older than `ttlMs` now (also runs every `ttlCheckIntervalMs` and at open). Resolves with how many. */
  expire(): Promise<number>
  /** The durability settings of every database file, read by the database thread's own connections. */
  pragmas(): Promise<SqlitePragmas[]>
}

export const sqliteStorageDefaults: {
  maxRecords: number
  sizeLimitMb: number
  maxDbAmount: number
  ttlCheckIntervalMs: number
  fullPolicy: FullPolicy
  cacheRecords: number
} = {
  maxRecords: Number.MAX_SAFE_INTEGER,
  sizeLimitMb: 1024,
  maxDbAmount: 10,
  ttlCheckIntervalMs: 3_600_000,
  fullPolicy: 'reject',
  cacheRecords: 10_000,
}

const MB = 1024 * 1024
/** Put batches on their way to the database thread at once; it commits those queued together. */
const PUT_BATCHES_IN_FLIGHT = 4

/** One `put()` call as queued for a group commit: its rows for the database, its records for the cache. */
interface PutItem {
  rows: PutRows
  records: readonly StoredRecord[]
}

/**
 * The database thread's entry. Built, this module is dist/sqlite.mjs and the entry is
 * dist/sqlite-worker.mjs next to it. Run from source (vitest, tsx: this module is src/sqlite.ts),
 * the thread starts from src/sqlite-worker-source.mjs, which registers tsx (a devDependency) and
 * loads src/sqlite-worker.ts: a worker thread does not inherit vitest's transform.
 */
export function sqliteWorkerEntry(moduleUrl: string = import.meta.url): URL {
  return new URL(moduleUrl.endsWith('.ts') ? './sqlite-worker-source.mjs' : './sqlite-worker.mjs', moduleUrl)
}

/** better-sqlite3 is an optional peer dependency: say clearly when it is missing. */
function assertDriver(): void {
  try {
    createRequire(import.meta.url).resolve('better-sqlite3')
  } catch (error) {
    throw new StorageError(
      'INVALID_OPTIONS',
      'sqlite storage needs the optional peer dependency better-sqlite3, which is not installed (npm install better-sqlite3)',
      { cause: error },
    )
  }
}

/** Opens (creating when missing) the sqlite store at `options.path` and starts its database thread. */
export async function createSqliteStorage(options: SqliteStorageOptions): Promise<SqliteStorage> {
  const logger = options.logger ?? defaultLogger
  const d = sqliteStorageDefaults
  const maxRecords = positiveInt('sqlite', 'maxRecords', options.maxRecords ?? d.maxRecords)
  const sizeLimitMb = options.sizeLimitMb ?? d.sizeLimitMb
  if (typeof sizeLimitMb !== 'number' || !(sizeLimitMb > 0)) {
    throw new StorageError('INVALID_OPTIONS', `sqlite storage: sizeLimitMb (storage.sizeLimit) must be a positive number, got ${String(sizeLimitMb)}`)
  }
  const maxDbAmount = positiveInt('sqlite', 'maxDbAmount (storage.maxDbAmount)', options.maxDbAmount ?? d.maxDbAmount)
  const ttlCheckIntervalMs = options.ttlCheckIntervalMs ?? d.ttlCheckIntervalMs
  const fullPolicy = options.fullPolicy ?? d.fullPolicy
  const ttlMs = options.ttlMs
  const cacheRecords = options.cacheRecords ?? d.cacheRecords
  if (!Number.isInteger(cacheRecords) || cacheRecords < 0) {
    throw new StorageError('INVALID_OPTIONS', `sqlite storage: cacheRecords must be a whole number >= 0, got ${String(cacheRecords)}`)
  }
  const now = options.now ?? Date.now
  if (typeof options.path !== 'string' || options.path === '') {
    throw new StorageError('INVALID_OPTIONS', 'sqlite storage: path (storage.dataFilePath) must be a folder or a .db file path')
  }
  const target = resolve(options.path)
  const isFile = target.toLowerCase().endsWith('.db')
  const dir = isFile ? dirname(target) : target
  const stem = isFile ? basename(target).slice(0, -3) : 'data'
  const where = isFile ? target : `${dir}/${stem}.db`
  const expireBefore = (): number | undefined => (ttlMs === undefined ? undefined : now() - ttlMs)

  const init: WorkerInit = {
    dir,
    stem,
    sizeLimitBytes: sizeLimitMb * MB,
    maxDbAmount,
    maxRecords,
    fullPolicy,
    expireBefore: expireBefore(),
  }

  assertDriver()
  const worker = new Worker(sqliteWorkerEntry(), { workerData: init })
  const calls = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void; onReply?: (r: WorkerReply) => void }>()
  // Records stored by this process and not acked yet, by id, from `hotFrom` on (insertion order =
  // id order). Reads of these come back from the database thread as ids only.
  const hot = new Map<number, StoredRecord>()
  let hotFrom = Number.POSITIVE_INFINITY
  /** Reads on their way to the database thread. */
  let reading = 0
  let counters: WorkerCounters = { rows: 0, bytes: 0, files: 0, droppedOldest: 0, expired: 0, corruptSkipped: 0, transactions: 0 }
  let rid = 0
  let broken: StorageError | undefined
  let closed = false
  let reservedRows = 0

  const ioError = (what: string, error: WorkerReply['error']): StorageError =>
    new StorageError(
      'STORAGE_IO',
      `sqlite storage: ${what} ${error?.file ?? where}: ${error?.code ? `${error.code}: ` : ''}${error?.message ?? 'unknown error'}`,
    )

  function settle(reply: WorkerReply): void {
    counters = reply.counters
    for (const w of reply.warnings ?? []) logger.warn(w)
    const pending = calls.get(reply.rid)
    if (pending === undefined) return
    calls.delete(reply.rid)
    if (calls.size === 0) worker.unref()
    // synchronously, before any later reply (a read of these ids) is handled
    pending.onReply?.(reply)
    pending.resolve(reply)
  }

  function die(error: StorageError): void {
    broken ??= error
    for (const pending of calls.values()) pending.reject(error)
    calls.clear()
  }

  const ready = new Promise<WorkerReply>((res, rej) => calls.set(0, { resolve: res, reject: rej }))
  worker.on('message', settle)
  worker.on('error', (error) => {
    logger.error(`sqlite storage: database thread failed for ${where}: ${error.message}`)
    die(new StorageError('STORAGE_IO', `sqlite storage: database thread failed for ${where}: ${error.message}`, { cause: error }))
  })
  worker.on('exit', (code) => {
    if (!closed) die(new StorageError('STORAGE_IO', `sqlite storage: database thread for ${where} exited (code ${code})`))
  })

  const opened = await ready
  if (!opened.ok) {
    await worker.terminate()
    throw ioError('cannot open', opened.error)
  }

  function call(msg: WorkerRequest & { rid: number }, onReply?: (r: WorkerReply) => void): Promise<WorkerReply> {
    if (broken !== undefined) return Promise.reject(broken)
    return new Promise<WorkerReply>((res, rej) => {
      calls.set(msg.rid, onReply === undefined ? { resolve: res, reject: rej } : { resolve: res, reject: rej, onReply })
      worker.ref()
      // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker_threads Worker, not a window
      worker.postMessage(msg)
    })
  }

  function assertOpen(op: string): void {
    if (closed) throw new StorageError('STORAGE_CLOSED', `sqlite storage (${where}): ${op} after close()`)
  }

  /** Keeps the records of stored puts in `hot` (evicting the oldest beyond `cacheRecords`). */
  function remember(items: readonly PutItem[], reply: WorkerReply): void {
    if (!reply.ok || cacheRecords === 0) return
    for (const [i, outcome] of (reply.outcomes ?? []).entries()) {
      if (!('id' in outcome)) continue
      const records = (items[i] as PutItem).records
      if (hotFrom === Number.POSITIVE_INFINITY) hotFrom = outcome.id
      for (const [k, record] of records.entries()) hot.set(outcome.id + k, record)
    }
    evict()
  }

  /** Drops the oldest cached records beyond `cacheRecords`; never while a read is on its way (its ids-only answer may name them). */
  function evict(): void {
    if (hot.size <= cacheRecords || reading > 0) return
    for (const id of hot.keys()) {
      hot.delete(id)
      hotFrom = id + 1
      if (hot.size <= cacheRecords) break
    }
  }

  const putCommit = createGroupCommit<PutItem>(async (items): Promise<GroupCommitOutcome[]> => {
    try {
      const msg = { op: 'put', rid: ++rid, items: items.map((it) => it.rows), expireBefore: expireBefore() } as const
      const reply = await call(msg, (r) => remember(items, r))
      if (!reply.ok) throw ioError('cannot store records in', reply.error)
      return (reply.outcomes ?? []).map((o) => ('full' in o ? new StorageFullError(o.full, maxRecords) : undefined))
    } finally {
      reservedRows -= items.reduce((n, it) => n + it.rows.length, 0)
    }
  }, PUT_BATCHES_IN_FLIGHT)

  async function readFromWorker(want: number, useHot: boolean): Promise<StoredEntry[] | undefined> {
    const from = useHot && hotFrom !== Number.POSITIVE_INFINITY ? hotFrom : undefined
    const msg = { op: 'read', rid: ++rid, max: want, expireBefore: expireBefore(), ...(from === undefined ? {} : { hotFrom: from }) } as const
    reading++
    let reply: WorkerReply
    try {
      reply = await call(msg)
    } finally {
      reading--
    }
    if (!reply.ok) throw ioError('cannot read records from', reply.error)
    const entries = reply.entries ?? []
    const out: StoredEntry[] = []
    for (const e of entries) {
      const record = e.record ?? hot.get(e.id)
      if (record === undefined) {
        // not in the cache after all (no eviction runs while a read is on its way, so this is a
        // bug): give them back and read them in full rather than lose or skip anything
        logger.warn(`sqlite storage: record ${e.id} was not in the memory cache; reading it back from ${where}`)
        storage.release(entries.map((x) => x.id))
        evict()
        return undefined
      }
      out.push({ id: e.id, record })
    }
    evict()
    return out
  }

  const timer =
    ttlMs === undefined
      ? undefined
      : setInterval(() => {
          storage.expire().catch((error: unknown) => logger.warn(`sqlite storage: TTL check failed for ${where}: ${(error as Error).message}`))
        }, ttlCheckIntervalMs)
  timer?.unref()

  const storage: SqliteStorage = {
    kind: 'sqlite',

    async put(records: readonly StoredRecord[]): Promise<void> {
      assertOpen('put')
      if (records.length === 0) return
      const rows: PutRows = []
      for (const [i, record] of records.entries()) {
        try {
          rows.push([record.receivedAt, JSON.stringify(record)])
        } catch (error) {
          throw new StorageError('INVALID_RECORD', `sqlite storage: record ${i} cannot be stored as JSON: ${(error as Error).message}`, { cause: error })
        }
      }
      if (fullPolicy === 'reject' && counters.rows + reservedRows + rows.length > maxRecords) {
        throw new StorageFullError(
          `sqlite storage is full: ${counters.rows + reservedRows} of ${maxRecords} records stored, ${rows.length} more do not fit`,
          maxRecords,
        )
      }
      reservedRows += rows.length
      await putCommit.add({ rows, records })
    },

    async read(max: number): Promise<StoredEntry[]> {
      assertOpen('read')
      const want = Math.max(0, Math.floor(max))
      if (want === 0) return []
      return (await readFromWorker(want, true)) ?? (await readFromWorker(want, false)) ?? []
    },

    async ack(ids: readonly number[]): Promise<void> {
      if (closed || ids.length === 0) return
      for (const id of ids) hot.delete(id)
      const reply = await call({ op: 'ack', rid: ++rid, ids: [...ids] })
      if (!reply.ok) throw ioError('cannot delete acked records from', reply.error)
    },

    release(ids: readonly number[]): void {
      if (closed || broken !== undefined || ids.length === 0) return
      // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker_threads Worker, not a window
      worker.postMessage({ op: 'release', ids: [...ids] } satisfies WorkerRequest)
    },

    async expire(): Promise<number> {
      assertOpen('expire')
      const before = expireBefore()
      if (before === undefined) return 0
      const reply = await call({ op: 'expire', rid: ++rid, expireBefore: before })
      if (!reply.ok) throw ioError('cannot expire records in', reply.error)
      return reply.count ?? 0
    },

    async pragmas(): Promise<SqlitePragmas[]> {
      assertOpen('pragmas')
      const reply = await call({ op: 'inspect', rid: ++rid })
      if (!reply.ok) throw ioError('cannot inspect', reply.error)
      return reply.pragmas ?? []
    },

    size(): number {
      return counters.rows
    },

    stats(): SqliteStorageStats {
      const c = counters
      return {
        kind: 'sqlite',
        size: c.rows,
        droppedOldest: c.droppedOldest,
        expired: c.expired,
        corruptSkipped: c.corruptSkipped,
        transactions: c.transactions,
        files: c.files,
        bytes: c.bytes,
      }
    },

    async close(): Promise<void> {
      if (closed) return
      closed = true
      if (timer !== undefined) clearInterval(timer)
      await putCommit.idle()
      if (broken === undefined) {
        await call({ op: 'close', rid: ++rid }).catch(() => {})
      }
      await worker.terminate()
      hot.clear()
    },
  }
  return storage
}
