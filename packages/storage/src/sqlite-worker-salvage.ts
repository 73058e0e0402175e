/**
 * Salvage of a database file SQLite rejects at open (`SQLITE_CORRUPT`: truncated or damaged pages;
 * `SQLITE_NOTADB`: not a database at all). The damaged file (with its `-wal` / `-shm`) is moved
 * aside as `<file>.corrupt-<time>` and kept for inspection; every row that can still be read from
 * it is copied, with its id, into a fresh database at the original path. Rows are read in id order;
 * where a page cannot be read, the next readable position is found by probing further ids, so the
 * records after a damaged part are kept too.
 */
import type BetterSqlite3 from 'better-sqlite3'
import type { WorkerEnv } from './sqlite-protocol.ts'

export interface SalvageTarget {
  db: BetterSqlite3.Database
  insert: BetterSqlite3.Statement<[number, number, string]>
}

export interface SalvageResult {
  /** Where the damaged file now is. */
  movedTo: string
  /** Rows copied into the fresh database. */
  recovered: number
  /** Id ranges that could not be read (`to` undefined: to the end of the file). */
  unreadable: Array<[from: number, to: number | undefined]>
  /** Highest id the damaged file had handed out (its sqlite_sequence), when readable. */
  maxId: number | undefined
  /** Lowest and highest id copied. */
  minCopied: number | undefined
  maxCopied: number | undefined
  /** Set when the damaged file could not be opened at all. */
  unopenable?: string
}

export function sqliteWorkerSalvage(env: WorkerEnv, file: string, openFresh: () => SalvageTarget): SalvageResult {
  const { Database, fs } = env
  const movedTo = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      fs.renameSync(file + suffix, movedTo + suffix)
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error
    }
  }
  const out: SalvageResult = { movedTo, recovered: 0, unreadable: [], maxId: undefined, minCopied: undefined, maxCopied: undefined }
  const target = openFresh()

  // A file cut short still claims its old page count in its header, and SQLite refuses such a file
  // outright: make the header match what is there, so the pages that remain can be read.
  try {
    const fd = fs.openSync(movedTo, 'r+')
    try {
      const head = Buffer.alloc(100)
      const size = fs.fstatSync(fd).size
      if (fs.readSync(fd, head, 0, 100, 0) === 100 && head.toString('latin1', 0, 16) === 'SQLite format 3\u0000') {
        const raw = head.readUInt16BE(16)
        const pageSize = raw === 1 ? 65536 : raw
        const pages = Math.floor(size / pageSize)
        if (pageSize >= 512 && pages > 0 && head.readUInt32BE(28) > pages) {
          head.writeUInt32BE(pages, 28)
          fs.writeSync(fd, head, 28, 4, 28)
        }
      }
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // not even the header can be read: opening below reports it
  }

  let src: BetterSqlite3.Database | undefined
  let writeFailed = false
  try {
    src = new Database(movedTo, { fileMustExist: true })
    const batch = src.prepare<[number, number], { id: number; r: number; p: string }>(
      'SELECT id, received_at AS r, payload AS p FROM messages WHERE id > ? ORDER BY id LIMIT ?',
    )
    const tryRead = (after: number, limit: number): Array<{ id: number; r: number; p: string }> | undefined => {
      try {
        return batch.all(after, limit)
      } catch {
        return undefined
      }
    }
    const copy = (rows: Array<{ id: number; r: number; p: string }>): void => {
      target.db.exec('BEGIN IMMEDIATE')
      try {
        for (const row of rows) target.insert.run(row.id, row.r, row.p)
        target.db.exec('COMMIT')
      } catch (error) {
        if (target.db.inTransaction) target.db.exec('ROLLBACK')
        writeFailed = true
        throw error
      }
      out.recovered += rows.length
      out.minCopied ??= rows[0]?.id
      out.maxCopied = rows.at(-1)?.id ?? out.maxCopied
    }
    const LIMIT = 2 ** 48
    let cursor = 0
    for (;;) {
      // whole batches while they read; one row at a time near a damaged page
      const rows = tryRead(cursor, 512) ?? tryRead(cursor, 1)
      if (rows !== undefined) {
        if (rows.length === 0) break
        copy(rows)
        cursor = (rows.at(-1) as { id: number }).id
        continue
      }
      // nothing after `cursor` can be read: find the next position that can (doubling, then bisecting)
      let step = 1
      while (step <= LIMIT && tryRead(cursor + step, 1) === undefined) step *= 2
      if (step > LIMIT) {
        out.unreadable.push([cursor + 1, undefined])
        break
      }
      let bad = step === 1 ? cursor : cursor + step / 2
      let good = cursor + step
      while (good - bad > 1) {
        const mid = Math.floor((bad + good) / 2)
        if (tryRead(mid, 1) === undefined) bad = mid
        else good = mid
      }
      out.unreadable.push([cursor + 1, good])
      cursor = good
    }
    try {
      const s = src.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").get() as { seq: number } | undefined
      out.maxId = s?.seq
    } catch {
      out.maxId = undefined
    }
  } catch (error) {
    if (writeFailed) throw error // the fresh database could not be written: a disk error, not damage
    const e = error as { code?: string; message?: string }
    out.unopenable = `${e.code ?? 'error'}: ${e.message ?? String(error)}`
  } finally {
    try {
      src?.close()
    } catch {
      // a damaged file may fail to close cleanly; it is kept aside as it is
    }
  }
  return out
}
