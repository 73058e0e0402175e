#!/usr/bin/env node
/**
 * Durable storage throughput: puts/s for 1 vs 64 concurrent writers, each put one record that is
 * durable when it resolves (file: appended + fdatasync; sqlite: committed, WAL synchronous=FULL).
 * Group commit is what makes 64 writers much faster than 1: they share flushes.
 *
 *   node packages/storage/bench/storage.mjs [seconds per run, default 2] [folder, default the OS temp dir]
 *
 * Then the outbox pipeline: 32 writers put while a reader takes up to 1000 records at a time and acks
 * them 1 ms later (as the pump does after PUBACK); prints puts/s and the CPU per record of the main thread and
 * of the other threads (sqlite's database thread, libuv's pool for file). sqlite runs twice: with
 * its memory cache (default) and with `cacheRecords: 0` (every record read back).
 *
 * Runs from source (TypeScript loaded through tsx); prints one line per run.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { register } from 'tsx/esm/api'

register()
const { createFileStorage } = await import('../src/file.ts')
const { createSqliteStorage } = await import('../src/sqlite.ts')
const { createMemoryStorage } = await import('../src/memory.ts')

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
    `${kind.padEnd(6)} writers ${String(writers).padStart(2)}: ${Math.round(puts / elapsed)
      .toString()
      .padStart(7)} puts/s  p50 ${p(0.5)} ms  p99 ${p(0.99)} ms${perFlush}`,
  )
}

/** CPU seconds of this process's main thread and of all its other threads (Linux /proc). */
function threadCpu() {
  const out = { main: 0, other: 0 }
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out[tid === String(process.pid) ? 'main' : 'other'] += (Number(f[11]) + Number(f[12])) / 100
  }
  return out
}

async function pipeline(label, open, writers = 32) {
  const dir = await mkdtemp(join(base, 'restgate-bench-pipe-'))
  const storage = await open(dir)
  let puts = 0
  let seq = 0
  const state = { stop: false }
  const c0 = threadCpu()
  const start = performance.now()
  const deadline = start + seconds * 1000
  const reader = (async () => {
    while (!state.stop || storage.size() > 0) {
      const entries = await storage.read(1000)
      if (entries.length === 0) {
        await new Promise((r) => setTimeout(r, 1))
        continue
      }
      await new Promise((r) => setTimeout(r, 1)) // the PUBACK round trip
      await storage.ack(entries.map((e) => e.id))
    }
  })()
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        await storage.put([record(seq++)])
        puts++
      }
    }),
  )
  const elapsed = (performance.now() - start) / 1000
  const c1 = threadCpu()
  state.stop = true
  await reader
  await storage.close()
  await rm(dir, { recursive: true, force: true })
  const us = (s) => ((s * 1e6) / puts).toFixed(1)
  console.log(
    `${label.padEnd(26)} ${Math.round(puts / elapsed)
      .toString()
      .padStart(7)} puts/s  CPU per record: main ${us(c1.main - c0.main)} µs, other threads ${us(c1.other - c0.other)} µs`,
  )
}

console.log(`node ${process.version}, ${seconds}s per run, folder ${base}`)
for (const kind of ['memory', 'file', 'sqlite']) {
  for (const writers of [1, 64]) await run(kind, writers)
}
console.log('\npipeline: 32 writers, one reader taking up to 1000 at a time and acking them 1 ms later')
await pipeline('memory', backends.memory)
await pipeline('file', backends.file)
await pipeline('sqlite (cacheRecords: 0)', async (dir) => createSqliteStorage({ path: dir, maxRecords: 10_000_000, logger: quiet, cacheRecords: 0 }))
await pipeline('sqlite', backends.sqlite)
