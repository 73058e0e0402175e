// Child of test/dist.test.ts: plain node (no tsx, no vitest transform) using the BUILT package in
// argv[2]. Prints one JSON line with what it saw; exits non-zero on any error.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const out = process.argv[2]
const load = (name) => import(pathToFileURL(join(out, `${name}.mjs`)).href)
const { createSqliteStorage, sqliteWorkerEntry } = await load('sqlite')
const { createFileStorage } = await load('file')
const { createMemoryStorage } = await load('memory')
const { StorageError } = await load('index')

const record = (seq) => ({ deviceName: 'dist', deviceType: 'default', telemetry: [{ ts: 1, values: { seq } }], receivedAt: Date.now() })
const seqs = (entries) => entries.map((e) => e.record.telemetry[0].values.seq)
const dir = await mkdtemp(join(tmpdir(), 'restgate-dist-'))
const result = { workerEntry: sqliteWorkerEntry().href }
try {
  const sqlite = await createSqliteStorage({ path: join(dir, 'sqlite') })
  await sqlite.put([record(0), record(1)])
  await sqlite.put([record(2)])
  result.pragmas = await sqlite.pragmas()
  const first = await sqlite.read(1)
  await sqlite.ack(first.map((e) => e.id))
  await sqlite.close()
  const again = await createSqliteStorage({ path: join(dir, 'sqlite') })
  result.sqliteAfterReopen = seqs(await again.read(10))
  await again.close()

  const file = await createFileStorage({ dir: join(dir, 'file') })
  await file.put([record(0), record(1)])
  result.file = seqs(await file.read(10))
  await file.close()

  const memory = createMemoryStorage()
  await memory.put([record(0)])
  result.memory = seqs(await memory.read(10))
  try {
    createMemoryStorage({ maxRecords: 0 })
  } catch (error) {
    result.error = StorageError.is(error) ? error.code : String(error)
  }
  await memory.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
console.log(JSON.stringify(result))
