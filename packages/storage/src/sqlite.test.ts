import { logFnOf } from '@restgate/core'
import Database from 'better-sqlite3'
import { appendFile, mkdtemp, open as openFile, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readdirSync } from 'node:fs'
import { sampleRecord, testStorageBackend, type DurabilityProbe, type StoredFaults } from './conformance.ts'
import type * as SqliteModule from './sqlite.ts'
import type { SqliteStorage } from './sqlite.ts'
import type { SqliteStorageOptions, StoredRecord } from './types.ts'
import type { Logger } from './logger.ts'
import { mountTmpfs } from './tmpfs.ts'

// The backend as users run it: the BUILT dist/sqlite.mjs, whose database thread is the built
// dist/sqlite-worker.mjs (test/_build.ts, this project's globalSetup, builds it first). From source
// the thread runs through tsx, which costs about 4x the CPU time: sqlite-source.test.ts runs the
// source path once over every operation of the thread.
const builtUrl = new URL('../dist/sqlite.mjs', import.meta.url)
const { createSqliteStorage, sqliteWorkerEntry } = (await import(builtUrl.href)) as typeof SqliteModule

it('runs the built backend, whose database thread is the built dist/sqlite-worker.mjs', () => {
  expect(sqliteWorkerEntry().href).toBe(new URL('../dist/sqlite-worker.mjs', import.meta.url).href)
})

/** Adds a row to the (closed) store's newest database, as damaged or hostile files may hold it. */
function insertRow(dir: string, id: number | null, payload: string): void {
  const names = readdirSync(dir)
    .filter((n) => /^data(_\d+)?\.db$/.test(n))
    .toSorted((a, b) => a.length - b.length || a.localeCompare(b))
  const db = new Database(join(dir, names.at(-1) as string))
  db.prepare('INSERT INTO messages (id, received_at, payload) VALUES (?, ?, ?)').run(id, 1_700_000_000_000, payload)
  db.close()
}

/** sqlite's durability: WAL with synchronous=FULL on every database, as the database thread's own connections report it. */
const sqliteDurability = (extra: Partial<SqliteStorageOptions> = {}): DurabilityProbe => ({
  open: async (o) => createSqliteStorage({ path: o.dir, maxRecords: o.maxRecords, fullPolicy: o.fullPolicy, logger: quiet, ...extra }),
  async unsynced(storage) {
    const pragmas = await (storage as SqliteStorage).pragmas()
    const out: string[] = pragmas.length === 0 ? ['no database file is open'] : []
    for (const p of pragmas) {
      if (p.synchronous !== 2) out.push(`${p.file}: PRAGMA synchronous = ${p.synchronous} (want 2, FULL: a commit is fsync'ed before it is acknowledged)`)
      if (p.journalMode !== 'wal') out.push(`${p.file}: PRAGMA journal_mode = ${p.journalMode} (want wal)`)
    }
    return out
  },
})

const sqliteStoredFaults: StoredFaults = {
  writeMalformed: async (dir) => insertRow(dir, null, JSON.stringify({ deviceName: 42, deviceType: 'x', telemetry: 'not a list', receivedAt: 'soon' })),
  writeWithId: async (dir, id, record) => insertRow(dir, id, JSON.stringify(record)),
}

testStorageBackend(
  'sqlite',
  async (o) => createSqliteStorage({ path: o.dir, maxRecords: o.maxRecords, fullPolicy: o.fullPolicy, ttlMs: o.ttlMs, now: o.now, logger: o.logger ?? quiet }),
  {
    durable: true,
    reopen: async (dir, logger) => createSqliteStorage({ path: dir, maxRecords: 1000, logger: logger ?? quiet }),
    corruptTail: async (dir) => {
      const db = new Database(join(dir, 'data.db'))
      db.prepare('UPDATE messages SET payload = substr(payload, 1, 20) WHERE id = (SELECT MAX(id) FROM messages)').run()
      db.close()
    },
    durability: sqliteDurability(),
    storedFaults: sqliteStoredFaults,
    diskFaults: true,
  },
)

// the same contract with every record read back from the database (no memory cache)
testStorageBackend(
  'sqlite (cacheRecords: 0)',
  async (o) =>
    createSqliteStorage({
      path: o.dir,
      maxRecords: o.maxRecords,
      fullPolicy: o.fullPolicy,
      ttlMs: o.ttlMs,
      now: o.now,
      logger: o.logger ?? quiet,
      cacheRecords: 0,
    }),
  {
    durable: true,
    reopen: async (dir, logger) => createSqliteStorage({ path: dir, maxRecords: 1000, logger: logger ?? quiet, cacheRecords: 0 }),
    durability: sqliteDurability({ cacheRecords: 0 }),
    storedFaults: sqliteStoredFaults,
  },
)

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
function capture(): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return { ...quiet, warn: logFnOf((m) => void warnings.push(m)), warnings }
}
/** Records of identical byte size (for the size-limit tests). */
const uniform = (i: number): StoredRecord => ({
  deviceName: 'd',
  deviceType: 't',
  telemetry: [{ ts: 1, values: { seq: i, pad: i < 10 ? 'x' : '' } }],
  receivedAt: 1,
})
const uniformBytes = Buffer.byteLength(JSON.stringify(uniform(0))) + 48
const big = (i: number): StoredRecord => sampleRecord(i, { attributes: { blob: 'x'.repeat(2000) } })
const seqOf = (e: { record: { telemetry?: Array<{ values: Record<string, unknown> }> } }): unknown => e.record.telemetry?.[0]?.values['seq']

/** 600 records of ~200 bytes, then closed: everything is checkpointed into data.db (about 40 pages). */
async function filled(dir: string, make: (path: string) => Promise<SqliteStorage>): Promise<string> {
  const s = await make(dir)
  for (let i = 0; i < 600; i += 50) await s.put(Array.from({ length: 50 }, (_, k) => sampleRecord(i + k)))
  await s.close()
  return join(dir, 'data.db')
}

describe('createSqliteStorage', () => {
  const dirs: string[] = []
  const open: SqliteStorage[] = []
  async function tempDir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'restgate-sqlite-'))
    dirs.push(d)
    return d
  }
  async function make(path: string, extra: Partial<SqliteStorageOptions> = {}): Promise<SqliteStorage> {
    const s = await createSqliteStorage({ path, maxRecords: 100_000, logger: quiet, ...extra })
    open.push(s)
    return s
  }
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => {})
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  it('group commit: 64 concurrent puts share far fewer transactions', async () => {
    const s = await make(await tempDir())
    await s.put([sampleRecord(0)])
    const before = s.stats().transactions
    await Promise.all(Array.from({ length: 64 }, (_, i) => s.put([sampleRecord(i + 1)])))
    expect(s.stats().transactions - before).toBeLessThanOrEqual(4)
    expect(s.size()).toBe(65)
    expect((await s.read(100)).map(seqOf)).toEqual(Array.from({ length: 65 }, (_, i) => i))
  })

  it('one writer commits once per put (durable before resolve)', async () => {
    const s = await make(await tempDir())
    const before = s.stats().transactions
    for (let i = 0; i < 5; i++) await s.put([sampleRecord(i)])
    expect(s.stats().transactions - before).toBe(5)
  })

  it('a folder path holds data.db; a path ending in .db is the database file itself', async () => {
    const dir = await tempDir()
    const a = await make(join(dir, 'nested', 'folder'))
    await a.put([sampleRecord(0)])
    const b = await make(join(dir, 'custom.db'))
    await b.put([sampleRecord(1)])
    expect(await readdir(join(dir, 'nested', 'folder'))).toContain('data.db')
    expect(await readdir(dir)).toContain('custom.db')
    const db = new Database(join(dir, 'custom.db'), { readonly: true })
    const row = db.prepare('SELECT id, received_at, payload FROM messages').get() as { id: number; received_at: number; payload: string }
    db.close()
    expect(row.received_at).toBe(sampleRecord(1).receivedAt)
    expect(JSON.parse(row.payload)).toMatchObject({ deviceName: sampleRecord(1).deviceName })
  })

  it('TTL: expired at open, by the periodic check, and by expire(); counts are in ms (not the original s/ms mix-up)', async () => {
    const dir = await tempDir()
    let clock = 1_800_000_000_000
    const day = 86_400_000
    const s = await make(dir, { ttlMs: 7 * day, now: () => clock, ttlCheckIntervalMs: 3_600_000 })
    await s.put([sampleRecord(0, { receivedAt: clock - 8 * day }), sampleRecord(1, { receivedAt: clock - 6 * day }), sampleRecord(2, { receivedAt: clock })])
    expect(await s.expire()).toBe(1)
    expect(s.stats().expired).toBe(1)
    await s.close()

    clock += 1.5 * day // record 1 is now 7.5 days old
    const reopened = await make(dir, { ttlMs: 7 * day, now: () => clock })
    expect(reopened.stats().expired).toBe(1)
    expect(reopened.size()).toBe(1)
    await reopened.close()

    const periodic = await make(dir, { ttlMs: 7 * day, now: () => clock, ttlCheckIntervalMs: 20 })
    expect(periodic.size()).toBe(1)
    clock += 8 * day
    await vi.waitFor(() => expect(periodic.stats().expired).toBe(1), { timeout: 5000, interval: 20 })
    expect(periodic.size()).toBe(0)
  })

  it('rotates to a new database file at sizeLimitMb, deletes drained files, and is full at sizeLimitMb × maxDbAmount', async () => {
    const dir = await tempDir()
    const sizeLimitMb = (uniformBytes * 3.5) / (1024 * 1024) // 3 records per file
    const s = await make(dir, { sizeLimitMb, maxDbAmount: 3 })
    for (let i = 0; i < 9; i++) await s.put([uniform(i)])
    expect(s.stats()).toMatchObject({ files: 3, bytes: 9 * uniformBytes })
    expect((await readdir(dir)).filter((n) => n.endsWith('.db')).toSorted()).toEqual(['data.db', 'data_2.db', 'data_3.db'])
    await expect(s.put([uniform(9), uniform(10)])).rejects.toMatchObject({ code: 'STORAGE_FULL' })
    const first = await s.read(4)
    expect(first.map(seqOf)).toEqual([0, 1, 2, 3])
    await s.ack(first.map((e) => e.id))
    expect(s.stats().files).toBe(2)
    expect(await readdir(dir)).not.toContain('data.db')
    await s.put([uniform(9)])
    expect(s.stats().files).toBe(3)
    await s.close()
    const again = await make(dir, { sizeLimitMb, maxDbAmount: 3 })
    expect((await again.read(100)).map(seqOf)).toEqual([4, 5, 6, 7, 8, 9])
  })

  it('dropOldest frees room by size too, never touching in-flight records', async () => {
    const dir = await tempDir()
    const s = await make(dir, { sizeLimitMb: (uniformBytes * 2.5) / (1024 * 1024), maxDbAmount: 2, fullPolicy: 'dropOldest' })
    for (let i = 0; i < 5; i++) await s.put([uniform(i)])
    const inFlight = await s.read(1)
    await s.put([uniform(5)])
    expect(s.stats().droppedOldest).toBe(1)
    await s.ack(inFlight.map((e) => e.id))
    expect((await s.read(10)).map(seqOf)).toEqual([2, 3, 4, 5])
  })

  it('memory cache: records just stored are sent as stored (not read back); older ones beyond cacheRecords come from the database', async () => {
    const dir = await tempDir()
    const s = await make(dir, { cacheRecords: 3 })
    const records = Array.from({ length: 6 }, (_, i) => sampleRecord(i))
    await s.put(records.slice(0, 2))
    await s.put(records.slice(2))
    const got = await s.read(10)
    expect(got.map(seqOf)).toEqual([0, 1, 2, 3, 4, 5])
    // the 3 newest are the very objects put (cache); the 3 oldest were evicted and parsed back
    expect(got.slice(3).map((e) => e.record)).toEqual(records.slice(3))
    for (const [i, e] of got.entries()) {
      if (i >= 3) expect(e.record).toBe(records[i])
      else {
        expect(e.record).not.toBe(records[i])
        expect(e.record).toEqual(records[i])
      }
    }
    // released records come back in order, whether cached or not
    s.release(got.map((e) => e.id))
    const again = await s.read(10)
    expect(again.map(seqOf)).toEqual([0, 1, 2, 3, 4, 5])
    await s.ack(again.map((e) => e.id))
    expect(s.size()).toBe(0)
    await s.close()
    const reopened = await make(dir)
    expect(reopened.size()).toBe(0)
    expect(await reopened.read(10)).toEqual([])
  })

  it('memory cache: a put answered while a read is on its way evicts nothing that read may name', async () => {
    const dir = await tempDir()
    const log = capture()
    const s = await make(dir, { cacheRecords: 2, logger: log })
    const records = Array.from({ length: 5 }, (_, i) => sampleRecord(i))
    await s.put(records.slice(0, 2))
    // the put's message goes out on the next turn of the event loop, the read's right after it:
    // the database thread answers the put (3 more records: over the cache) before the read
    const put = s.put(records.slice(2))
    await new Promise((resolve) => setImmediate(resolve))
    const got = await s.read(10)
    await put
    expect(log.warnings).toEqual([])
    expect(got.map(seqOf).slice(0, 2)).toEqual([0, 1])
    expect(got[0]?.record).toBe(records[0])
    const rest = await s.read(10)
    expect([...got, ...rest].map(seqOf)).toEqual([0, 1, 2, 3, 4])
    await s.ack([...got, ...rest].map((e) => e.id))
    expect(s.size()).toBe(0)
  })

  it('acks delete consecutive runs and scattered ids alike; the rest stays, in order, after reopening', async () => {
    const dir = await tempDir()
    const s = await make(dir)
    await s.put(Array.from({ length: 40 }, (_, i) => sampleRecord(i)))
    const got = await s.read(40)
    const ids = got.map((e) => e.id)
    // a run, single ids, a run with a gap, and an id acked twice
    const acked = [...ids.slice(0, 10), ids[12] as number, ids[15] as number, ...ids.slice(20, 25), ...ids.slice(26, 30), ids[0] as number]
    await s.ack(acked)
    s.release(ids.filter((id) => !acked.includes(id)))
    expect(s.size()).toBe(40 - 21)
    const bytesBefore = s.stats().bytes
    await s.close()
    const reopened = await make(dir)
    expect(reopened.size()).toBe(19)
    expect(reopened.stats().bytes).toBe(bytesBefore)
    const rest = await reopened.read(100)
    expect(rest.map(seqOf)).toEqual([10, 11, 13, 14, 16, 17, 18, 19, 25, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39])
    expect(rest).toHaveLength(19)
  })

  it('ids keep increasing after every record was acked and the database reopened', async () => {
    const dir = await tempDir()
    const s = await make(dir)
    await s.put([0, 1, 2].map((i) => sampleRecord(i)))
    const entries = await s.read(10)
    await s.ack(entries.map((e) => e.id))
    await s.close()
    const again = await make(dir)
    await again.put([sampleRecord(3)])
    const [next] = await again.read(1)
    expect(next?.id).toBeGreaterThan(Math.max(...entries.map((e) => e.id)))
  })

  it('rejects invalid options, unencodable records and use after close', async () => {
    const dir = await tempDir()
    await expect(createSqliteStorage({ path: dir, maxRecords: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    await expect(createSqliteStorage({ path: dir, maxRecords: 5, sizeLimitMb: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    const s = await make(dir)
    await expect(s.put([{ ...sampleRecord(0), attributes: { big: 1n } }])).rejects.toMatchObject({ code: 'INVALID_RECORD' })
    await s.close()
    await expect(s.put([sampleRecord(0)])).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
    await expect(s.read(1)).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
  })

  it('creating a backend where the folder path is a file fails with STORAGE_IO naming the path and errno', async () => {
    const dir = await tempDir()
    const notADir = join(dir, 'plain-file')
    await writeFile(notADir, 'x')
    const err = await createSqliteStorage({ path: join(notADir, 'data'), maxRecords: 10 }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'STORAGE_IO' })
    expect((err as Error).message).toContain(join(notADir, 'data'))
    expect((err as Error).message).toMatch(/ENOTDIR|EEXIST/)
  })

  // a read-only folder and a full disk: the conformance suite's disk-fault checks (diskFaults above)
  it('acks on a full disk take effect at once (the records are not read again) and are written once there is space', async (ctx) => {
    const fs = await mountTmpfs(512)
    if ('unavailable' in fs) {
      console.warn(`skipped the disk-full ack check: ${fs.unavailable}`)
      return ctx.skip(fs.unavailable)
    }
    try {
      const filler = join(fs.dir, 'filler.bin')
      await writeFile(filler, Buffer.alloc(64 * 1024))
      const log = capture()
      const s = await createSqliteStorage({ path: join(fs.dir, 'db'), maxRecords: 100_000, logger: log })
      let stored = 0
      for (let i = 0; i < 2000; i++) {
        try {
          await s.put([big(i)])
          stored++
        } catch {
          break
        }
      }
      expect(stored).toBeGreaterThanOrEqual(15)
      const first = await s.read(10)
      await s.ack(first.map((e) => e.id)) // resolves although the rows cannot be deleted now
      expect(s.size()).toBe(stored - 10)
      expect(log.warnings.join('\n')).toMatch(/cannot delete 10 acked record\(s\) .* yet \(SQLITE_FULL/)
      const next = await s.read(5)
      expect(next.map(seqOf)).toEqual([10, 11, 12, 13, 14])
      s.release(next.map((e) => e.id))
      await rm(filler) // space again: the next write deletes the acked rows for good
      await s.put([big(stored)])
      expect(s.size()).toBe(stored - 10 + 1)
      await s.close()
      const again = await createSqliteStorage({ path: join(fs.dir, 'db'), maxRecords: 100_000, logger: quiet })
      expect((await again.read(100_000)).map(seqOf)).toEqual(Array.from({ length: stored - 10 + 1 }, (_, i) => 10 + i))
      await again.close()
    } finally {
      await fs.unmount()
    }
  })

  describe('damaged files at open', () => {
    it('a damaged page in the middle: the file is moved aside, the records before and after it are kept, the lost ones are counted', async () => {
      const dir = await tempDir()
      const file = await filled(dir, (p) => make(p))
      const fh = await openFile(file, 'r+')
      await fh.write(Buffer.alloc(4096, 0xee), 0, 4096, 4096 * 12) // one table page overwritten
      await fh.close()
      const log = capture()
      const s = await make(dir, { logger: log })
      const seqs = (await s.read(1000)).map(seqOf) as number[]
      const lost = Array.from({ length: 600 }, (_, i) => i).filter((i) => !seqs.includes(i))
      expect(lost.length).toBeGreaterThan(0)
      expect(lost.length).toBeLessThan(60)
      // what is missing is one stretch; everything after it was recovered
      expect(lost).toEqual(Array.from({ length: lost.length }, (_, k) => lost[0]! + k))
      expect(seqs).toEqual(seqs.toSorted((a, b) => a - b))
      expect(s.stats().corruptSkipped).toBe(lost.length)
      expect(log.warnings.join('\n')).toMatch(
        new RegExp(
          `data\\.db is damaged \\(SQLITE_CORRUPT.*moved it to .*data\\.db\\.corrupt-.*recovered ${600 - lost.length} record\\(s\\); 1 part\\(s\\) could not be read \\(ids \\d+–\\d+\\): at most ${lost.length} record\\(s\\) lost`,
        ),
      )
      expect((await readdir(dir)).some((f) => f.startsWith('data.db.corrupt-'))).toBe(true)
      // the new database works and holds the recovered records with their ids
      await s.put([sampleRecord(1000)])
      await s.close()
      const log2 = capture()
      const again = await make(dir, { logger: log2 })
      expect((await again.read(1000)).map(seqOf)).toEqual([...seqs, 1000])
      expect(log2.warnings).toEqual([])
    })

    it('a truncated file keeps its readable oldest part; a file that is not a database is replaced by an empty one', async () => {
      const dir = await tempDir()
      const file = await filled(dir, (p) => make(p))
      await truncate(file, Math.floor(((await stat(file)).size * 0.5) / 4096) * 4096)
      const log = capture()
      const s = await make(dir, { logger: log })
      const seqs = (await s.read(1000)).map(seqOf) as number[]
      expect(seqs.length).toBeGreaterThan(100)
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i))
      expect(log.warnings.join('\n')).toContain(`at most ${600 - seqs.length} record(s) lost`)
      await s.close()

      await writeFile(file, Buffer.alloc(8192, 0xa5))
      const log2 = capture()
      const fresh = await make(dir, { logger: log2 })
      expect(log2.warnings.join('\n')).toMatch(/data\.db is damaged \(SQLITE_NOTADB.*recovered 0 record\(s\); nothing in it could be read/)
      expect(fresh.size()).toBe(0)
      await fresh.put([sampleRecord(7)])
      expect((await fresh.read(10)).map(seqOf)).toEqual([7])
    })

    it('bytes after the last whole WAL frame (a torn write) are reported; every committed record is kept', async () => {
      const dir = await tempDir()
      const s = await make(dir)
      for (let i = 0; i < 20; i++) await s.put([sampleRecord(i)])
      // copy the database with its WAL as a crash would leave it (the WAL is not checkpointed)
      const crashed = await tempDir()
      for (const f of await readdir(dir)) await writeFile(join(crashed, f), await readFile(join(dir, f)))
      await appendFile(join(crashed, 'data.db-wal'), Buffer.alloc(700, 0x5a))
      const log = capture()
      const again = await make(crashed, { logger: log })
      expect((await again.read(100)).map(seqOf)).toEqual(Array.from({ length: 20 }, (_, i) => i))
      expect(log.warnings.join('\n')).toMatch(/data\.db-wal ends with 700 byte\(s\) of an unfinished write/)
      expect(again.stats().corruptSkipped).toBe(0)
    })
  })
})
