/**
 * The sqlite backend's database thread. Every disk operation happens here, so a commit's fsync
 * (WAL, synchronous=FULL) never blocks the gateway's event loop.
 *
 * `sqliteWorkerMain` runs inside a worker started from its own source text
 * (`sqliteWorkerMain.toString()`), so it must stay SELF-CONTAINED: it may use only its parameter and
 * globals, never a binding from this module or an import (type imports are fine).
 */
import type BetterSqlite3 from 'better-sqlite3'
import type { MessagePort } from 'node:worker_threads'
import type { PutOutcome, PutRows, WorkerCounters, WorkerInit, WorkerReply, WorkerRequest } from './sqlite-protocol.ts'

export interface WorkerEnv {
  port: MessagePort
  init: WorkerInit
  Database: typeof BetterSqlite3
  fs: typeof import('node:fs')
  path: typeof import('node:path')
}

export function sqliteWorkerMain(env: WorkerEnv): void {
  const { port, init, Database, fs, path } = env
  /** Bytes counted per row beyond its payload (id, timestamp, b-tree cells, index entry). */
  const ROW_OVERHEAD = 48
  const budget = init.sizeLimitBytes * init.maxDbAmount

  interface DbFile {
    seq: number
    path: string
    db: BetterSqlite3.Database
    startId: number
    rows: number
    bytes: number
    insert: BetterSqlite3.Statement<[number, number, string]>
    del: BetterSqlite3.Statement<[number], { n: number }>
    getOne: BetterSqlite3.Statement<[number], { r: number; p: string }>
    after: BetterSqlite3.Statement<[number, number], { id: number; r: number; p: string }>
    expireAfter: BetterSqlite3.Statement<[number, number], { id: number; n: number }>
  }

  const files: DbFile[] = []
  const inFlight = new Map<number, number>() // id -> bytes
  let inFlightBytes = 0
  let released: number[] = [] // sorted ids back to pending, all <= cursor
  let cursor = 0
  let nextId = 1
  const c: WorkerCounters = { rows: 0, bytes: 0, files: 0, droppedOldest: 0, expired: 0, corruptSkipped: 0, transactions: 0 }
  let warnings: string[] = []
  const touched = new Set<DbFile>()

  const fileName = (seq: number): string => (seq === 1 ? `${init.stem}.db` : `${init.stem}_${seq}.db`)
  const rowBytes = (json: string): number => Buffer.byteLength(json) + ROW_OVERHEAD

  function openFile(seq: number, file: string): DbFile {
    const db = new Database(file)
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.exec(
        'CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, payload TEXT NOT NULL);' +
          'CREATE INDEX IF NOT EXISTS messages_received_at ON messages (received_at);',
      )
      // fail now, not at the first put, when the folder or file is not writable
      db.exec('BEGIN IMMEDIATE; COMMIT;')
      const size = 'length(CAST(payload AS BLOB)) + ' + ROW_OVERHEAD
      const t = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(' + size + '), 0) AS b, MIN(id) AS lo FROM messages').get() as { n: number; b: number; lo: number | null }
      const s = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").get() as { seq: number } | undefined
      if (s !== undefined && s.seq >= nextId) nextId = s.seq + 1
      return {
        seq,
        path: file,
        db,
        startId: t.lo ?? nextId,
        rows: t.n,
        bytes: t.b,
        insert: db.prepare('INSERT INTO messages (id, received_at, payload) VALUES (?, ?, ?)'),
        del: db.prepare('DELETE FROM messages WHERE id = ? RETURNING ' + size + ' AS n'),
        getOne: db.prepare('SELECT received_at AS r, payload AS p FROM messages WHERE id = ?'),
        after: db.prepare('SELECT id, received_at AS r, payload AS p FROM messages WHERE id > ? ORDER BY id LIMIT ?'),
        expireAfter: db.prepare('DELETE FROM messages WHERE id > ? AND received_at < ? RETURNING id, ' + size + ' AS n'),
      }
    } catch (error) {
      db.close()
      ;(error as { file?: string }).file = file
      throw error
    }
  }

  function begin(f: DbFile): void {
    if (touched.has(f)) return
    f.db.exec('BEGIN IMMEDIATE')
    touched.add(f)
  }

  function commitAll(): void {
    for (const f of touched) {
      f.db.exec('COMMIT')
      c.transactions++
    }
    touched.clear()
  }

  function rollbackAll(): void {
    for (const f of touched) if (f.db.inTransaction) f.db.exec('ROLLBACK')
    touched.clear()
  }

  function fileFor(id: number): DbFile | undefined {
    for (let i = files.length - 1; i >= 0; i--) {
      const f = files[i] as DbFile
      if (id >= f.startId) return f
    }
    return files[0]
  }

  function refreshTotals(): void {
    let rows = 0
    let bytes = 0
    for (const f of files) {
      rows += f.rows
      bytes += f.bytes
    }
    c.rows = rows
    c.bytes = bytes
    c.files = files.length
  }

  /** Deletes one row by id; returns its counted bytes, or -1 when it is not there. */
  function deleteRow(id: number): number {
    const f = fileFor(id)
    if (f === undefined) return -1
    begin(f)
    const row = f.del.get(id)
    if (row === undefined) return -1
    f.rows--
    f.bytes -= row.n
    return row.n
  }

  function removeFromReleased(id: number): void {
    const i = released.indexOf(id)
    if (i !== -1) released.splice(i, 1)
  }

  /** Pending records older than `before` are removed (released ones and those never read). */
  function expirePending(before: number): number {
    let n = 0
    released = released.filter((id) => {
      const f = fileFor(id)
      const row = f?.getOne.get(id)
      if (row === undefined) return false
      if (row.r >= before) return true
      if (deleteRow(id) >= 0) n++
      return false
    })
    for (const f of files) {
      if (f.rows === 0) continue
      // outside a transaction this DELETE is its own (and costs nothing when no row matches)
      const gone = f.expireAfter.all(cursor, before)
      if (gone.length > 0 && !touched.has(f)) c.transactions++
      for (const row of gone) {
        f.rows--
        f.bytes -= row.n
        n++
      }
    }
    c.expired += n
    return n
  }

  /** Drops the oldest pending records until `rows` rows and `bytes` bytes are freed. */
  function dropOldest(rows: number, bytes: number): void {
    let freedRows = 0
    let freedBytes = 0
    const done = (): boolean => freedRows >= rows && freedBytes >= bytes
    while (!done() && released.length > 0) {
      const n = deleteRow(released.shift() as number)
      if (n < 0) continue
      freedRows++
      freedBytes += n
      c.droppedOldest++
    }
    for (const f of files) {
      while (!done() && f.rows > 0) {
        const batch = f.after.all(cursor, 256)
        if (batch.length === 0) break
        for (const row of batch) {
          if (done()) break
          const n = deleteRow(row.id)
          if (n < 0) continue
          freedRows++
          freedBytes += n
          c.droppedOldest++
        }
      }
    }
  }

  function writeFile(itemBytes: number): DbFile {
    let w = files[files.length - 1] as DbFile
    if (w.rows > 0 && w.bytes + itemBytes > init.sizeLimitBytes && files.length < init.maxDbAmount) {
      const seq = w.seq + 1
      w = openFile(seq, path.join(init.dir, fileName(seq)))
      w.startId = nextId
      files.push(w)
    }
    return w
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
        const pendingRows = c.rows - inFlight.size
        const pendingBytes = c.bytes - inFlightBytes
        const what = rowOver > 0
          ? `${c.rows} of ${init.maxRecords} records stored, ${rows.length} more do not fit`
          : `${c.bytes} of ${budget} bytes (sizeLimit × maxDbAmount) used, ${itemBytes} more do not fit`
        if (init.fullPolicy === 'reject' || rowOver > pendingRows || byteOver > pendingBytes) {
          outcomes.push({ full: `sqlite storage is full: ${what}` })
          continue
        }
        const before = c.droppedOldest
        dropOldest(Math.max(0, rowOver), Math.max(0, byteOver))
        warnings.push(`sqlite storage is full (${what}): dropped the ${c.droppedOldest - before} oldest pending record(s)`)
      }
      const w = writeFile(itemBytes)
      begin(w)
      for (const [receivedAt, json] of rows) {
        w.insert.run(nextId++, receivedAt, json)
        w.rows++
        w.bytes += rowBytes(json)
      }
      outcomes.push(undefined)
    }
    return outcomes
  }

  function take(id: number, p: string, out: NonNullable<WorkerReply['entries']>): void {
    let record: unknown
    try {
      record = JSON.parse(p)
    } catch {
      record = undefined
    }
    if (typeof record !== 'object' || record === null) {
      deleteRow(id)
      c.corruptSkipped++
      warnings.push(`sqlite storage: skipped corrupt record ${id} (its payload is not a JSON object)`)
      return
    }
    const n = Buffer.byteLength(p) + ROW_OVERHEAD
    inFlight.set(id, n)
    inFlightBytes += n
    out.push({ id, record: record as NonNullable<WorkerReply['entries']>[number]['record'] })
  }

  function read(max: number, expireBefore: number | undefined): NonNullable<WorkerReply['entries']> {
    const out: NonNullable<WorkerReply['entries']> = []
    if (expireBefore !== undefined) expirePending(expireBefore)
    while (out.length < max && released.length > 0) {
      const id = released.shift() as number
      const row = fileFor(id)?.getOne.get(id)
      if (row !== undefined) take(id, row.p, out)
    }
    for (const f of files) {
      while (out.length < max) {
        const rows = f.after.all(cursor, max - out.length)
        if (rows.length === 0) break
        for (const row of rows) {
          cursor = row.id
          take(row.id, row.p, out)
        }
      }
    }
    return out
  }

  function ack(ids: number[]): void {
    for (const id of ids) {
      const n = inFlight.get(id)
      if (n !== undefined) {
        inFlight.delete(id)
        inFlightBytes -= n
      } else {
        removeFromReleased(id)
      }
      deleteRow(id)
    }
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

  /** Old database files with no rows left are deleted (the newest one stays: it is written next). */
  function dropEmptyFiles(): void {
    for (let i = 0; i < files.length - 1; ) {
      const f = files[i] as DbFile
      if (f.rows > 0) {
        i++
        continue
      }
      f.db.close()
      for (const suffix of ['', '-wal', '-shm']) {
        try {
          fs.unlinkSync(f.path + suffix)
        } catch (error) {
          if ((error as { code?: string }).code !== 'ENOENT') warnings.push(`sqlite storage: cannot delete drained ${f.path + suffix}: ${String(error)}`)
        }
      }
      files.splice(i, 1)
    }
  }

  const totalsSql = 'SELECT COUNT(*) AS n, COALESCE(SUM(length(CAST(payload AS BLOB)) + ' + ROW_OVERHEAD + '), 0) AS b FROM messages'

  /** After a rollback: memory state back to the snapshot, file totals re-read from the databases. */
  function restore(snap: Snapshot): void {
    released = snap.released
    cursor = snap.cursor
    if (snap.inFlight !== undefined) {
      inFlight.clear()
      for (const [id, n] of snap.inFlight) inFlight.set(id, n)
      inFlightBytes = snap.inFlightBytes
    }
    c.droppedOldest = snap.droppedOldest
    c.expired = snap.expired
    c.corruptSkipped = snap.corruptSkipped
    for (const f of files) {
      try {
        const t = f.db.prepare(totalsSql).get() as { n: number; b: number }
        f.rows = t.n
        f.bytes = t.b
      } catch {
        // keep the estimate; the next successful operation corrects it
      }
    }
  }

  interface Snapshot {
    released: number[]
    cursor: number
    /** Only for operations that change it (not put). */
    inFlight: Array<[number, number]> | undefined
    inFlightBytes: number
    droppedOldest: number
    expired: number
    corruptSkipped: number
  }

  const snapshot = (withInFlight: boolean): Snapshot => ({
    released: released.slice(),
    cursor,
    inFlight: withInFlight ? [...inFlight] : undefined,
    inFlightBytes,
    droppedOldest: c.droppedOldest,
    expired: c.expired,
    corruptSkipped: c.corruptSkipped,
  })

  function reply(r: Omit<WorkerReply, 'counters'>): void {
    refreshTotals()
    const out: WorkerReply = { ...r, counters: { ...c } }
    if (warnings.length > 0) out.warnings = warnings
    warnings = []
    port.postMessage(out)
  }

  function fail(rid: number, error: unknown, snap: Snapshot): void {
    rollbackAll()
    restore(snap)
    const e = error as { message?: string; code?: string; file?: string }
    reply({ rid, ok: false, error: { message: String(e?.message ?? error), code: e?.code, file: e?.file } })
  }

  // ---- open
  try {
    fs.mkdirSync(init.dir, { recursive: true })
    const re = new RegExp('^' + init.stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?:_(\\d+))?\\.db$')
    const found = fs
      .readdirSync(init.dir)
      .map((name) => ({ name, m: re.exec(name) }))
      .filter((x) => x.m !== null)
      .map((x) => ({ name: x.name, seq: x.m?.[1] === undefined ? 1 : Number(x.m[1]) }))
      .toSorted((a, b) => a.seq - b.seq)
    for (const { name, seq } of found) files.push(openFile(seq, path.join(init.dir, name)))
    if (files.length === 0) files.push(openFile(1, path.join(init.dir, fileName(1))))
    if (init.expireBefore !== undefined) expirePending(init.expireBefore)
    commitAll()
    dropEmptyFiles()
    reply({ rid: 0, ok: true })
  } catch (error) {
    rollbackAll()
    for (const f of files) f.db.close()
    const e = error as { message?: string; code?: string; file?: string }
    reply({ rid: 0, ok: false, error: { message: String(e?.message ?? error), code: e?.code, file: e?.file ?? init.dir } })
    port.close()
    return
  }

  port.on('message', (msg: WorkerRequest) => {
    if (msg.op === 'release') {
      release(msg.ids)
      return
    }
    const snap = snapshot(msg.op !== 'put')
    try {
      switch (msg.op) {
        case 'put': {
          if (msg.expireBefore !== undefined) expirePending(msg.expireBefore)
          const outcomes = put(msg.items)
          commitAll()
          reply({ rid: msg.rid, ok: true, outcomes })
          break
        }
        case 'read': {
          const entries = read(msg.max, msg.expireBefore)
          commitAll()
          dropEmptyFiles()
          reply({ rid: msg.rid, ok: true, entries })
          break
        }
        case 'ack':
          ack(msg.ids)
          commitAll()
          dropEmptyFiles()
          reply({ rid: msg.rid, ok: true })
          break
        case 'expire': {
          const count = expirePending(msg.expireBefore)
          commitAll()
          dropEmptyFiles()
          reply({ rid: msg.rid, ok: true, count })
          break
        }
        case 'close':
          for (const f of files) f.db.close()
          reply({ rid: msg.rid, ok: true })
          port.close()
          break
      }
    } catch (error) {
      fail(msg.rid, error, snap)
    }
  })
}
