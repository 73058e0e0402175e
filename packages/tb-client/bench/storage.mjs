#!/usr/bin/env node
/**
 * Durable storage throughput: puts/s for 1 vs 64 concurrent writers, each put one record that is
 * durable when it resolves (file: appended + fdatasync; sqlite: committed, WAL synchronous=FULL).
 * Group commit is what makes 64 writers much faster than 1: they share flushes.
 *
 *   node packages/tb-client/bench/storage.mjs [seconds per run, default 2] [folder, default the OS temp dir]
 *
 * Runs from source (TypeScript loaded through tsx); prints one line per run.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { register } from 'tsx/esm/api'

register()
const { createFileStorage } = await import('../src/storage/file.ts')
const { createSqliteStorage } = await import('../src/storage/sqlite.ts')
const { createMemoryStorage } = await import('../src/storage/memory.ts')

const seconds = Number(process.argv[2] ?? 2)
const base = process.argv[3] ?? tmpdir()
const quiet = { debug() {}, info() {}, warn() {}, error() {} }

const record = (i) => ({
  deviceName: `bench-${i % 16}`,
  deviceType: 'default',
  telemetry: [{ ts: 1_700_000_000_000 + i, values: { temperature: 21.5 + (i % 10), humidity: 40 + (i % 7), seq: i } }],
  attributes: { model: 'T1000' },
  receivedAt: Date.now(),
})

const backends = {
  memory: async () => createMemoryStorage({ maxRecords: 10_000_000 }),
  file: async (dir) => createFileStorage({ dir, maxRecords: 10_000_000, maxFileCount: 1000, maxRecordsPerFile: 10_000, logger: quiet }),
  sqlite: async (dir) => createSqliteStorage({ path: dir, maxRecords: 10_000_000, logger: quiet }),
}

async function run(kind, writers) {
  const dir = await mkdtemp(join(base, `restgate-bench-${kind}-`))
  const storage = await backends[kind](dir)
  let puts = 0
  let seq = 0
  const latencies = []
  const deadline = performance.now() + seconds * 1000
  const start = performance.now()
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now()
        await storage.put([record(seq++)])
        latencies.push(performance.now() - t)
        puts++
      }
    }),
  )
  const elapsed = (performance.now() - start) / 1000
  const stats = storage.stats()
  await storage.close()
  await rm(dir, { recursive: true, force: true })
  latencies.sort((a, b) => a - b)
  const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]?.toFixed(2)
  const flushes = stats.flushes ?? stats.transactions
  const perFlush = flushes ? ` records/flush ${(puts / flushes).toFixed(1)}` : ''
  console.log(
    `${kind.padEnd(6)} writers ${String(writers).padStart(2)}: ${Math.round(puts / elapsed).toString().padStart(7)} puts/s  p50 ${p(0.5)} ms  p99 ${p(0.99)} ms${perFlush}`,
  )
}

console.log(`node ${process.version}, ${seconds}s per run, folder ${base}`)
for (const kind of ['memory', 'file', 'sqlite']) {
  for (const writers of [1, 64]) await run(kind, writers)
}
