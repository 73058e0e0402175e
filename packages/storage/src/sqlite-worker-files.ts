/**
 * The sqlite worker's database files: discovery, opening (WAL, synchronous=FULL, writability
 * probe), id allocation, per-file transactions, row deletion, rotation and removal of drained files.
 */
import type BetterSqlite3 from 'better-sqlite3'
import { ID_COMPACT_AT } from './ids.ts'
import type { WorkerEnv } from './sqlite-protocol.ts'

export interface DbFile {
  seq: number
  path: string
  db: BetterSqlite3.Database
  /** Lowest id this file can hold (ids grow across files). */
  startId: number
  rows: number
  bytes: number
  insert: BetterSqlite3.Statement<[number, number, string]>
  del: BetterSqlite3.Statement<[number], { n: number }>
  getOne: BetterSqlite3.Statement<[number], { r: number; p: string }>
  after: BetterSqlite3.Statement<[number, number], { id: number; r: number; p: string }>
  /** `after` without the payload, for records the main thread still holds. */
  afterIds: BetterSqlite3.Statement<[number, number], { id: number; n: number }>
  delRange: BetterSqlite3.Statement<[number, number]>
  expireAfter: BetterSqlite3.Statement<[number, number], { id: number; n: number }>
  totals: BetterSqlite3.Statement<[], { n: number; b: number }>
}

export interface DbFiles {
  /** Oldest first; the last one is written to. */
  files: DbFile[]
  /** What opening found and repaired (torn WAL tails, damaged files moved aside), to log. */
  openWarnings: string[]
  /** Records known (at most) lost in damaged files at open. */
  corruptAtOpen: number
  /** Bytes counted per row beyond its payload. */
  rowOverhead: number
  /** Hands out the next id (never reused: AUTOINCREMENT's sqlite_sequence survives deletes). */
  takeId(): number
  readonly transactions: number
  fileFor(id: number): DbFile | undefined
  /** Opens a transaction on `f` for the current operation (once). */
  begin(f: DbFile): void
  isTouched(f: DbFile): boolean
  /** Counts a change made outside a transaction (an autocommit statement). */
  countAutocommit(): void
  commitAll(): void
  rollbackAll(): void
  /** Deletes one row; returns its counted bytes, or -1 when it is not there. */
  deleteRow(id: number): number
  /**
   * Deletes the rows `from`..`to` of one file, whose counted bytes the caller knows (`bytes`) and
   * which all exist (in-flight records). Returns false, deleting nothing, when a row is missing.
   */
  deleteRange(f: DbFile, from: number, to: number, bytes: number): boolean
  /** The file to insert `bytes` more into, starting a new one at the size limit while allowed. */
  writeFile(bytes: number): DbFile
  /** Re-reads every file's row count and bytes (after a rollback). */
  reloadTotals(): void
  /** Deletes old files with no rows left (the newest stays); returns warnings. */
  dropEmptyFiles(): string[]
  closeAll(): void
}

export function sqliteWorkerFiles(env: WorkerEnv): DbFiles {
  const { init, Database, fs, path } = env
  const ROW_OVERHEAD = 48
  const size = 'length(CAST(payload AS BLOB)) + ' + ROW_OVERHEAD
  const files: DbFile[] = []
  const touched = new Set<DbFile>()
  let nextId = 1
  let transactions = 0

  const fileName = (seq: number): string => (seq === 1 ? `${init.stem}.db` : `${init.stem}_${seq}.db`)

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
      const totals = db.prepare<[], { n: number; b: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(' + size + '), 0) AS b FROM messages')
      const t = totals.get() as { n: number; b: number }
      const lo = db.prepare('SELECT MIN(id) AS lo FROM messages').get() as { lo: number | null }
      const s = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").get() as { seq: number } | undefined
      if (s !== undefined && s.seq >= nextId) nextId = s.seq + 1
      return {
        seq,
        path: file,
        db,
        startId: lo.lo ?? nextId,
        rows: t.n,
        bytes: t.b,
        insert: db.prepare('INSERT INTO messages (id, received_at, payload) VALUES (?, ?, ?)'),
        del: db.prepare('DELETE FROM messages WHERE id = ? RETURNING ' + size + ' AS n'),
        getOne: db.prepare('SELECT received_at AS r, payload AS p FROM messages WHERE id = ?'),
        after: db.prepare('SELECT id, received_at AS r, payload AS p FROM messages WHERE id > ? ORDER BY id LIMIT ?'),
        afterIds: db.prepare('SELECT id, ' + size + ' AS n FROM messages WHERE id > ? ORDER BY id LIMIT ?'),
        delRange: db.prepare('DELETE FROM messages WHERE id >= ? AND id <= ?'),
        expireAfter: db.prepare('DELETE FROM messages WHERE id > ? AND received_at < ? RETURNING id, ' + size + ' AS n'),
        totals,
      }
    } catch (error) {
      db.close()
      ;(error as { file?: string }).file = file
      throw error
    }
  }

  const openWarnings: string[] = []
  let corruptAtOpen = 0

  /** A WAL that is not a whole number of frames ends in a write cut short (SQLite ignores it). */
  function checkWalTail(file: string): void {
    let walBytes: number
    const head = Buffer.alloc(32)
    try {
      const fd = fs.openSync(file + '-wal', 'r')
      try {
        walBytes = fs.fstatSync(fd).size
        fs.readSync(fd, head, 0, 32, 0)
      } finally {
        fs.closeSync(fd)
      }
    } catch {
      return
    }
    if (walBytes === 0) return
    const pageSize = walBytes >= 32 ? head.readUInt32BE(8) : 0
    const torn = pageSize >= 512 ? (walBytes - 32) % (pageSize + 24) : walBytes
    if (torn === 0) return
    openWarnings.push(
      `sqlite storage: ${file}-wal ends with ${torn} byte(s) of an unfinished write (a crash or a damaged disk); ` +
        'SQLite discards them with the transaction they belonged to, whose put() had not completed; every committed record is kept',
    )
  }

  /** Opens a file; one SQLite rejects as damaged is moved aside and what is readable in it carried over. */
  function openOrSalvage(seq: number, file: string): DbFile {
    checkWalTail(file)
    try {
      return openFile(seq, file)
    } catch (error) {
      const e = error as { code?: string; message?: string }
      if (e.code !== 'SQLITE_NOTADB' && !String(e.code).startsWith('SQLITE_CORRUPT')) throw error
      let fresh: DbFile | undefined
      let r: ReturnType<WorkerEnv['salvage']>
      try {
        r = env.salvage(env, file, () => {
          fresh = openFile(seq, file)
          return fresh
        })
      } catch (salvageError) {
        fresh?.db.close()
        throw salvageError
      }
      const f = fresh as DbFile
      const t = f.totals.get() as { n: number; b: number }
      f.rows = t.n
      f.bytes = t.b
      if (r.minCopied !== undefined) f.startId = r.minCopied
      const top = Math.max(r.maxId ?? 0, r.maxCopied ?? 0)
      if (top >= nextId) nextId = top + 1
      let lost = 0
      let known = r.unopenable === undefined
      const parts: string[] = []
      for (const [from, to] of r.unreadable) {
        const end = to ?? r.maxId
        if (end !== undefined && end < from) continue // cut after the last record: nothing lost there
        if (end === undefined) known = false
        else lost += end - from + 1
        parts.push(`ids ${from}–${end ?? 'end'}`)
      }
      corruptAtOpen += known ? lost : Math.max(lost, 1)
      const unread =
        r.unopenable !== undefined
          ? '; nothing in it could be read'
          : parts.length > 0
            ? `; ${parts.length} part(s) could not be read (${parts.join(', ')}): ${known ? `at most ${lost}` : 'an unknown number of'} record(s) lost`
            : ''
      openWarnings.push(
        `sqlite storage: ${file} is damaged (${e.code}: ${e.message}); moved it to ${r.movedTo} and started a new database there; ` +
          `recovered ${r.recovered} record(s)${unread}`,
      )
      return f
    }
  }

  /**
   * Ids at or above ID_COMPACT_AT (see ids.ts): every file's rows get the ids 1..n again, in order
   * (file by file, each in one transaction; a crash in between leaves the order intact and the next
   * open renumbers again). The ids are never read into JavaScript numbers on the way.
   */
  function renumberAll(): void {
    openWarnings.push(`sqlite storage: the databases in ${init.dir} hold ids up to ${nextId - 1}; renumbering their records from 1 so new ids cannot collide`)
    let base = 0
    for (const f of files) {
      f.db.exec('BEGIN IMMEDIATE')
      try {
        f.db.exec('CREATE TEMP TABLE IF NOT EXISTS renumber (old INTEGER PRIMARY KEY, new INTEGER NOT NULL); DELETE FROM renumber;')
        f.db.prepare('INSERT INTO renumber (old, new) SELECT id, ? + ROW_NUMBER() OVER (ORDER BY id) FROM messages').run(base)
        f.db.exec('UPDATE messages SET id = -(SELECT new FROM renumber WHERE old = messages.id); UPDATE messages SET id = -id;')
        const n = (f.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n
        base += n
        f.db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'messages'").run(base)
        f.db.exec('DROP TABLE renumber; COMMIT')
      } catch (error) {
        f.db.exec('ROLLBACK')
        throw error
      }
    }
    const reopen = files.map((f) => ({ seq: f.seq, file: f.path }))
    for (const f of files) f.db.close()
    files.length = 0
    nextId = 1
    for (const { seq, file } of reopen) files.push(openFile(seq, file))
  }

  // discovery: <stem>.db, <stem>_<n>.db in sequence order
  fs.mkdirSync(init.dir, { recursive: true })
  const re = new RegExp('^' + init.stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?:_(\\d+))?\\.db$')
  const found = fs
    .readdirSync(init.dir)
    .map((name) => ({ name, m: re.exec(name) }))
    .filter((x) => x.m !== null)
    .map((x) => ({ name: x.name, seq: x.m?.[1] === undefined ? 1 : Number(x.m[1]) }))
    .toSorted((a, b) => a.seq - b.seq)
  try {
    for (const { name, seq } of found) files.push(openOrSalvage(seq, path.join(init.dir, name)))
    if (files.length === 0) files.push(openFile(1, path.join(init.dir, fileName(1))))
    if (nextId >= ID_COMPACT_AT) renumberAll()
  } catch (error) {
    for (const f of files) f.db.close()
    throw error
  }

  return {
    files,
    openWarnings,
    corruptAtOpen,
    rowOverhead: ROW_OVERHEAD,
    takeId: () => {
      if (nextId >= Number.MAX_SAFE_INTEGER)
        throw Object.assign(new Error(`ids are exhausted (next ${nextId}); reopen the storage to renumber them`), { code: 'SQLITE_RANGE' })
      return nextId++
    },
    get transactions(): number {
      return transactions
    },
    fileFor(id: number): DbFile | undefined {
      for (let i = files.length - 1; i >= 0; i--) {
        const f = files[i] as DbFile
        if (id >= f.startId) return f
      }
      return files[0]
    },
    begin(f: DbFile): void {
      if (touched.has(f)) return
      f.db.exec('BEGIN IMMEDIATE')
      touched.add(f)
    },
    isTouched: (f: DbFile): boolean => touched.has(f),
    countAutocommit(): void {
      transactions++
    },
    commitAll(): void {
      for (const f of touched) {
        f.db.exec('COMMIT')
        transactions++
      }
      touched.clear()
    },
    rollbackAll(): void {
      for (const f of touched) if (f.db.inTransaction) f.db.exec('ROLLBACK')
      touched.clear()
    },
    deleteRange(f: DbFile, from: number, to: number, bytes: number): boolean {
      this.begin(f)
      f.db.exec('SAVEPOINT range')
      const { changes } = f.delRange.run(from, to)
      if (changes !== to - from + 1) {
        f.db.exec('ROLLBACK TO range; RELEASE range')
        return false
      }
      f.db.exec('RELEASE range')
      f.rows -= changes
      f.bytes -= bytes
      return true
    },
    deleteRow(id: number): number {
      const f = this.fileFor(id)
      if (f === undefined) return -1
      this.begin(f)
      const row = f.del.get(id)
      if (row === undefined) return -1
      f.rows--
      f.bytes -= row.n
      return row.n
    },
    writeFile(bytes: number): DbFile {
      let w = files[files.length - 1] as DbFile
      if (w.rows > 0 && w.bytes + bytes > init.sizeLimitBytes && files.length < init.maxDbAmount) {
        const seq = w.seq + 1
        w = openFile(seq, path.join(init.dir, fileName(seq)))
        w.startId = nextId
        files.push(w)
      }
      return w
    },
    reloadTotals(): void {
      for (const f of files) {
        try {
          const t = f.totals.get() as { n: number; b: number }
          f.rows = t.n
          f.bytes = t.b
        } catch {
          // keep the estimate; the next successful operation corrects it
        }
      }
    },
    dropEmptyFiles(): string[] {
      const warnings: string[] = []
      for (let i = 0; i < files.length - 1;) {
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
      return warnings
    },
    closeAll(): void {
      for (const f of files) if (f.db.open) f.db.close()
    },
  }
}
