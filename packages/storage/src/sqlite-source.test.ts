/**
 * The sqlite backend run from SOURCE (src/sqlite.ts; its database thread starts from
 * src/sqlite-worker-source.mjs, which registers tsx): every operation of the thread once, and the
 * salvage of a damaged file. The full contract and the backend's own tests run on the build
 * (sqlite.test.ts): the same code, without tsx in each thread.
 */
import { logFnOf } from '@restgate/core'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it, onTestFinished } from 'vitest'
import { sampleRecord } from './conformance.ts'
import { createSqliteStorage, sqliteWorkerEntry, type SqliteStorage } from './sqlite.ts'
import type { SqliteStorageOptions } from './types.ts'

const seqOf = (e: { record: { telemetry?: Array<{ values: Record<string, unknown> }> } }): unknown => e.record.telemetry?.[0]?.values['seq']

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'restgate-sqlite-src-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function open(dir: string, extra: Partial<SqliteStorageOptions> = {}): Promise<SqliteStorage & { warnings: string[] }> {
  const warnings: string[] = []
  const quiet = { debug: () => {}, info: () => {}, warn: logFnOf((m) => void warnings.push(m)), error: () => {} }
  const s = await createSqliteStorage({ path: dir, maxRecords: 1000, logger: quiet, ...extra })
  onTestFinished(() => s.close().catch(() => {}))
  return Object.assign(s, { warnings })
}

it('starts its database thread from src/sqlite-worker-source.mjs (tsx)', () => {
  expect(sqliteWorkerEntry().href).toBe(new URL('./sqlite-worker-source.mjs', import.meta.url).href)
})

it('from source, the thread serves every operation: put (group commit), read, release, ack, expire, pragmas, close and reopen', async () => {
  const dir = await tempDir()
  let clock = 1_800_000_000_000
  const s = await open(dir, { ttlMs: 60_000, now: () => clock, cacheRecords: 2 })
  expect(await s.pragmas()).toEqual([{ file: join(dir, 'data.db'), synchronous: 2, journalMode: 'wal' }])
  await s.put([sampleRecord(0, { receivedAt: clock - 30_000 })])
  await Promise.all(Array.from({ length: 8 }, (_, i) => s.put([sampleRecord(i + 1, { receivedAt: clock })])))
  expect(s.size()).toBe(9)
  clock += 45_000 // record 0 is now older than the TTL, the others are not
  expect(await s.expire()).toBe(1)
  // beyond the cache of 2, records are read back from the database
  const first = await s.read(5)
  expect(first.map(seqOf)).toEqual([1, 2, 3, 4, 5])
  s.release(first.slice(2).map((e) => e.id))
  await s.ack(first.slice(0, 2).map((e) => e.id))
  expect((await s.read(10)).map(seqOf)).toEqual([3, 4, 5, 6, 7, 8])
  expect(s.stats()).toMatchObject({ expired: 1 })
  await s.close()

  clock += 10_000
  const again = await open(dir, { ttlMs: 60_000, now: () => clock })
  expect((await again.read(10)).map(seqOf)).toEqual([3, 4, 5, 6, 7, 8])
})

it('from source, a file that is not a database is moved aside and replaced by an empty one', async () => {
  const dir = await tempDir()
  // a database overwritten with garbage (nothing stored first: each thread started from source costs about a second)
  await writeFile(join(dir, 'data.db'), Buffer.alloc(8192, 0xa5))
  const fresh = await open(dir)
  expect(fresh.warnings.join('\n')).toMatch(/data\.db is damaged \(SQLITE_NOTADB.*recovered 0 record\(s\)/)
  expect((await readdir(dir)).some((f) => f.startsWith('data.db.corrupt-'))).toBe(true)
  await fresh.put([sampleRecord(7)])
  expect((await fresh.read(10)).map(seqOf)).toEqual([7])
})
