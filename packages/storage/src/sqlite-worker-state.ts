/**
 * The sqlite backend's database thread. Every disk operation happens here, so a commit's fsync
 * (WAL, synchronous=FULL) never blocks the gateway's event loop. This part keeps the read cursor,
 * in-flight and released ids, the bounds (rows, bytes, policy) and TTL; the database files
 * themselves are in sqlite-worker-files.ts, the message loop in sqlite-worker-loop.ts.
 * The thread's entry is sqlite-worker.ts.
 */
import { malformedReason } from './record.ts'
import type { DbFile, DbFiles } from './sqlite-worker-files.ts'
import type { PutOutcome, PutRows, WorkerCounters, WorkerEnv, WorkerOps, WorkerReply } from './sqlite-protocol.ts'

type Entries = NonNullable<WorkerReply['entries']>

/** Memory state before an operation, put back when its transaction rolls back. */
interface Snapshot {
  released: number[]
  cursor: number
  /** Only for operations that change it (not put). */
  inFlight: Array<[number, number]> | undefined
  inFlightBytes: number
  droppedOldest: number
  corruptSkipped: number
}

/**
 * Opens the databases and answers the open request (rid 0); returns the operations the message loop
 * (sqlite-worker-loop.ts) runs, or undefined when opening failed (the port is closed then).
 */
export function sqliteWorkerMain(env: WorkerEnv, openFiles: (env: WorkerEnv) => DbFiles): WorkerOps<Snapshot> | undefined {
  const { port, init } = env
  const budget = Math.floor(init.sizeLimitBytes * init.maxDbAmount)
  const inFlight = new Map<number, number>() // id -> counted bytes
  let inFlightBytes = 0
  let released: number[] = [] // sorted ids back to pending, all <= cursor
  // Acked ids whose rows could not be deleted yet (the disk refused the write): never read again,
  // not counted, deleted by the next write that succeeds.
  const acked = new Map<number, number>() // id -> counted bytes
  let ackedBytes = 0
  let lastAckWarning = 0
  let ackWarningsSuppressed = 0
  let cursor = 0
  const c: WorkerCounters = { rows: 0, bytes: 0, files: 0, droppedOldest: 0, expired: 0, corruptSkipped: 0, transactions: 0 }
  let warnings: string[] = []
  let db: DbFiles

  const rowBytes = (json: string): number => Buffer.byteLength(json) + db.rowOverhead

  function refreshTotals(): void {
    let rows = 0
    let bytes = 0
    for (const f of db.files) {
      rows += f.rows
      bytes += f.bytes
    }
    c.rows = rows - acked.size
    c.bytes = bytes - ackedBytes
    c.files = db.files.length
    c.transactions = db.transactions
  }

  /** Pending records older than `before` are removed (released ones and those never read). */
  function expirePending(before: number): number {
    let n = 0
    released = released.filter((id) => {
      const row = db.fileFor(id)?.getOne.get(id)
      if (row === undefined) return false
      if (row.r >= before) return true
      if (db.deleteRow(id) >= 0) n++
      return false
    })
    for (const f of db.files) {
      if (f.rows === 0) continue
      // outside a transaction this DELETE is its own (and costs nothing when no row matches)
      const gone = f.expireAfter.all(cursor, before)
      if (gone.length > 0 && !db.isTouched(f)) db.countAutocommit()
      for (const row of gone) {
        f.rows--
        f.bytes -= row.n
        n++
      }
    }
    c.expired += n
    return n
  }

  /** Drops the oldest pending records (released first, then never read) until enough is freed. */
  function dropOldest(rows: number, bytes: number): void {
    let freedRows = 0
    let freedBytes = 0
    const done = (): boolean => freedRows >= rows && freedBytes >= bytes
    const drop = (id: number): void => {
      const n = db.deleteRow(id)
      if (n < 0) return
      freedRows++
      freedBytes += n
      c.droppedOldest++
    }
    while (!done() && released.length > 0) drop(released.shift() as number)
    for (const f of db.files) {
      while (!done() && f.rows > 0) {
        const batch = f.after.all(cursor, 256)
        if (batch.length === 0) break
        for (const row of batch) {
          if (done()) break
          drop(row.id)
        }
      }
    }
  }

  function put(items: PutRows[]): PutOutcome[] {
    const outcomes: PutOutcome[] = []
    for (const rows of items) {
      let itemBytes = 0
      for (const [, json] of rows) itemBytes += rowBytes(json)
      refreshTotals()
      const rowOver = c.rows + rows.length - init.maxRecords
      const byteOver = c.bytes + itemBytes - budget
      if (rowOver > 0 || byteOver > 0) {
        const what =
          rowOver > 0
            ? `${c.rows} of ${init.maxRecords} records stored, ${rows.length} more do not fit`
            : `${c.bytes} of ${budget} bytes (sizeLimit × maxDbAmount) used, ${itemBytes} more do not fit`
        if (init.fullPolicy === 'reject' || rowOver > c.rows - inFlight.size || byteOver > c.bytes - inFlightBytes) {
          outcomes.push({ full: `sqlite storage is full: ${what}` })
          continue
        }
        const before = c.droppedOldest
        dropOldest(Math.max(0, rowOver), Math.max(0, byteOver))
        warnings.push(`sqlite storage is full (${what}): dropped the ${c.droppedOldest - before} oldest pending record(s)`)
      }
      const w = db.writeFile(itemBytes)
      db.begin(w)
      let first = 0
      for (const [receivedAt, json] of rows) {
        const id = db.takeId()
        if (first === 0) first = id
        w.insert.run(id, receivedAt, json)
        w.rows++
        w.bytes += rowBytes(json)
      }
      outcomes.push({ id: first })
    }
    return outcomes
  }

  /** A record the main thread holds: only its id goes back. */
  function takeHot(id: number, n: number, out: Entries): void {
    if (acked.has(id)) return
    inFlight.set(id, n)
    inFlightBytes += n
    out.push({ id })
  }

  function take(id: number, p: string, out: Entries, hotFrom: number): void {
    if (id >= hotFrom) {
      takeHot(id, rowBytes(p), out)
      return
    }
    if (acked.has(id)) return
    let record: unknown
    try {
      record = JSON.parse(p)
    } catch {
      record = undefined
    }
    const malformed = record === undefined ? 'its payload is not JSON' : malformedReason(record)
    if (malformed !== undefined) {
      db.deleteRow(id)
      c.corruptSkipped++
      warnings.push(`sqlite storage: dropped malformed record ${id} from ${db.fileFor(id)?.path ?? init.dir} (${malformed})`)
      return
    }
    const n = rowBytes(p)
    inFlight.set(id, n)
    inFlightBytes += n
    out.push({ id, record: record as Entries[number]['record'] })
  }

  function read(max: number, expireBefore: number | undefined, hotFrom: number): Entries {
    const out: Entries = []
    if (expireBefore !== undefined) expirePending(expireBefore)
    while (out.length < max && released.length > 0) {
      const id = released.shift() as number
      const row = db.fileFor(id)?.getOne.get(id)
      if (row !== undefined) take(id, row.p, out, hotFrom)
    }
    for (const f of db.files) {
      while (out.length < max) {
        if (cursor + 1 >= hotFrom) {
          const rows = f.afterIds.all(cursor, max - out.length)
          if (rows.length === 0) break
          for (const row of rows) {
            cursor = row.id
            takeHot(row.id, row.n, out)
          }
          continue
        }
        const rows = f.after.all(cursor, max - out.length)
        if (rows.length === 0) break
        for (const row of rows) {
          cursor = row.id
          take(row.id, row.p, out, hotFrom)
        }
      }
    }
    return out
  }

  /** Deletes acked rows: runs of consecutive in-flight ids (the usual pack) with one statement each. */
  function ack(ids: number[]): void {
    let i = 0
    while (i < ids.length) {
      const id = ids[i] as number
      const n = inFlight.get(id)
      const f = db.fileFor(id)
      if (n === undefined || f === undefined) {
        const r = released.indexOf(id)
        if (r !== -1) released.splice(r, 1)
        db.deleteRow(id)
        i++
        continue
      }
      let j = i + 1
      let bytes = n
      const limit = nextStartAfter(f)
      for (; j < ids.length; j++) {
        const next = ids[j] as number
        const m = next === (ids[j - 1] as number) + 1 && next < limit ? inFlight.get(next) : undefined
        if (m === undefined) break
        bytes += m
      }
      const last = ids[j - 1] as number
      const whole = j - i > 1 && db.deleteRange(f, id, last, bytes)
      for (let k = i; k < j; k++) {
        const x = ids[k] as number
        inFlightBytes -= inFlight.get(x) as number
        inFlight.delete(x)
        if (!whole) db.deleteRow(x)
      }
      i = j
    }
  }

  /** The first id of the file after `f` (ids grow across files). */
  function nextStartAfter(f: DbFile): number {
    const k = db.files.indexOf(f)
    return (db.files[k + 1] as DbFile | undefined)?.startId ?? Number.MAX_SAFE_INTEGER
  }

  function release(ids: number[]): void {
    const back: number[] = []
    for (const id of ids) {
      const n = inFlight.get(id)
      if (n === undefined) continue
      inFlight.delete(id)
      inFlightBytes -= n
      back.push(id)
    }
    if (back.length > 0) released = released.concat(back).toSorted((a, b) => a - b)
  }

  /** Acks that could not be written: the ids leave the outbox now, their rows are deleted later. */
  function ackInMemory(ids: number[]): void {
    for (const id of ids) {
      if (acked.has(id)) continue
      let n = inFlight.get(id)
      if (n !== undefined) {
        inFlight.delete(id)
        inFlightBytes -= n
      } else {
        const i = released.indexOf(id)
        if (i !== -1) released.splice(i, 1)
        let row: { p: string } | undefined
        try {
          row = db.fileFor(id)?.getOne.get(id)
        } catch {
          row = undefined
        }
        if (row === undefined) continue
        n = rowBytes(row.p)
      }
      acked.set(id, n)
      ackedBytes += n
    }
  }

  /** Deletes the rows of acks that could not be written before, in a transaction of their own. */
  function purgeAcked(): void {
    if (acked.size === 0) return
    try {
      for (const id of acked.keys()) db.deleteRow(id)
      db.commitAll()
      acked.clear()
      ackedBytes = 0
    } catch {
      db.rollbackAll()
      db.reloadTotals()
    }
  }

  function warnAckKept(count: number, error: unknown): void {
    const now = Date.now()
    if (now - lastAckWarning < 10_000) {
      ackWarningsSuppressed++
      return
    }
    const e = error as { code?: string; message?: string }
    const more = ackWarningsSuppressed > 0 ? ` (${ackWarningsSuppressed} more such failure(s) since the last warning)` : ''
    warnings.push(
      `sqlite storage: cannot delete ${count} acked record(s) from ${init.dir} yet (${e.code ?? 'error'}: ${e.message ?? String(error)})${more}; ` +
        'they are not sent again and are deleted once the disk accepts writes (a restart before that may send them again)',
    )
    lastAckWarning = now
    ackWarningsSuppressed = 0
  }

  const snapshot = (withInFlight: boolean): Snapshot => ({
    released: released.slice(),
    cursor,
    inFlight: withInFlight ? [...inFlight] : undefined,
    inFlightBytes,
    droppedOldest: c.droppedOldest,
    corruptSkipped: c.corruptSkipped,
  })

  function restore(snap: Snapshot): void {
    released = snap.released
    cursor = snap.cursor
    if (snap.inFlight !== undefined) {
      inFlight.clear()
      for (const [id, n] of snap.inFlight) inFlight.set(id, n)
      inFlightBytes = snap.inFlightBytes
    }
    c.droppedOldest = snap.droppedOldest
    c.corruptSkipped = snap.corruptSkipped
    db.reloadTotals()
  }

  function reply(r: Omit<WorkerReply, 'counters'>): void {
    if (db !== undefined) refreshTotals()
    const out: WorkerReply = { ...r, counters: { ...c } }
    if (warnings.length > 0) out.warnings = warnings
    warnings = []
    port.postMessage(out)
  }

  function replyError(rid: number, error: unknown, fallbackFile?: string): void {
    const e = error as { message?: string; code?: string; file?: string }
    reply({ rid, ok: false, error: { message: String(e?.message ?? error), code: e?.code, file: e?.file ?? fallbackFile } })
  }

  // ---- open: files, TTL at open, drained files
  try {
    db = openFiles(env)
  } catch (error) {
    replyError(0, error, init.dir)
    port.close()
    return undefined
  }
  warnings.push(...db.openWarnings)
  c.corruptSkipped += db.corruptAtOpen
  try {
    if (init.expireBefore !== undefined) expirePending(init.expireBefore)
    db.commitAll()
    warnings.push(...db.dropEmptyFiles())
    reply({ rid: 0, ok: true })
  } catch (error) {
    db.rollbackAll()
    db.closeAll()
    replyError(0, error, init.dir)
    port.close()
    return undefined
  }

  return {
    db,
    put,
    read,
    ack,
    release,
    expirePending,
    purgeAcked,
    ackInMemory,
    warnAckKept,
    snapshot,
    restore,
    reply,
    replyError,
    warn: (lines) => void warnings.push(...lines),
  }
}
