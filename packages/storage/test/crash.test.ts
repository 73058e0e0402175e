/**
 * Crash safety of the durable backends against a PROCESS crash: a child process writes (and acks) records and prints each
 * one only after put()/ack() resolved; we kill -9 it mid-stream, reopen the folder and check that
 * every printed put is there, no printed ack came back, and the order held. The kernel's page cache
 * survives a kill -9, so this is not a power-cut test: that a put resolves only after its data is
 * on stable storage is the conformance suite's durability check.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type * as FileModule from '../src/file.ts'
import type * as SqliteModule from '../src/sqlite.ts'
import type { StorageBackend } from '../src/types.ts'
import type { Logger } from '../src/logger.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
// the child runs the BUILT package under plain node (the storage project's globalSetup builds it):
// the path users run, without a TypeScript loader in the process and in its sqlite thread. The
// checks reopen the folder with the same build (from source, each sqlite thread would start tsx:
// about 4x the CPU time; sqlite-source.test.ts covers the source path).
const child = join(here, 'crash-child.mjs')
const { createFileStorage } = (await import(new URL('../dist/file.mjs', import.meta.url).href)) as typeof FileModule
const { createSqliteStorage } = (await import(new URL('../dist/sqlite.mjs', import.meta.url).href)) as typeof SqliteModule
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

interface CrashRun {
  put: Set<number>
  /** ack() was called: may be gone. */
  acking: Set<number>
  /** ack() resolved: must be gone. */
  acked: Set<number>
  signal: NodeJS.Signals | null
}

/** Runs the child until it has printed `killAfter` put lines, then SIGKILLs it. */
function runAndKill(kind: 'file' | 'sqlite', dir: string, killAfter: number, firstSeq = 0): Promise<CrashRun> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [child, kind, dir, String(firstSeq)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const put = new Set<number>()
    const acking = new Set<number>()
    const acked = new Set<number>()
    let buffered = ''
    let stderr = ''
    let killed = false
    const guard = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`crash child did not reach ${killAfter} puts in time; stderr: ${stderr}`))
    }, 45_000)
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        if (line.startsWith('P ')) put.add(Number(line.slice(2)))
        else if (line.startsWith('a ')) acking.add(Number(line.slice(2)))
        else if (line.startsWith('A ')) acked.add(Number(line.slice(2)))
      }
      if (!killed && put.size >= killAfter) {
        killed = true
        proc.kill('SIGKILL')
      }
    })
    proc.on('error', reject)
    proc.on('close', (code, signal) => {
      clearTimeout(guard)
      if (!killed) reject(new Error(`crash child exited on its own (code ${code}); stderr: ${stderr}`))
      else resolvePromise({ put, acking, acked, signal })
    })
  })
}

async function drain(storage: StorageBackend): Promise<number[]> {
  const entries = await storage.read(1_000_000)
  return entries.map((e) => e.record.telemetry?.[0]?.values['seq'] as number)
}

const backends = {
  file: (dir: string) => createFileStorage({ dir, maxRecords: 1_000_000, maxFileCount: 10_000, maxRecordsPerFile: 50, logger: quiet }),
  sqlite: (dir: string) => createSqliteStorage({ path: dir, maxRecords: 1_000_000, logger: quiet }),
}

describe.each(['file', 'sqlite'] as const)('%s storage survives kill -9', (kind) => {
  const dirs: string[] = []
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  it('every record whose put() resolved is there after the crash; acked ones stay gone; order holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), `restgate-crash-${kind}-`))
    dirs.push(dir)
    const run = await runAndKill(kind, dir, 400)
    expect(run.signal).toBe('SIGKILL')
    expect(run.put.size).toBeGreaterThanOrEqual(400)
    expect(run.acked.size).toBeGreaterThan(0)

    const storage = await backends[kind](dir)
    try {
      const seqs = await drain(storage)
      const present = new Set(seqs)
      const lost = [...run.put].filter((n) => !run.acking.has(n) && !present.has(n))
      expect(lost).toEqual([])
      const resurrected = [...run.acked].filter((n) => present.has(n))
      expect(resurrected).toEqual([])
      expect(seqs).toEqual(seqs.toSorted((a, b) => a - b))
      expect(present.size).toBe(seqs.length)
      expect(storage.stats().corruptSkipped).toBeLessThanOrEqual(1)
    } finally {
      await storage.close()
    }
  }, 60_000)

  it('a second crash after recovery loses nothing either', async () => {
    const dir = await mkdtemp(join(tmpdir(), `restgate-crash2-${kind}-`))
    dirs.push(dir)
    const first = await runAndKill(kind, dir, 150)
    const second = await runAndKill(kind, dir, 150, 1_000_000)
    const storage = await backends[kind](dir)
    try {
      const seqs = await drain(storage)
      const present = new Set(seqs)
      // the second child also reads and acks the first one's backlog
      const put = [...first.put, ...second.put]
      const acking = new Set([...first.acking, ...second.acking])
      const acked = [...first.acked, ...second.acked]
      expect(put.filter((n) => !acking.has(n) && !present.has(n))).toEqual([])
      expect(acked.filter((n) => present.has(n))).toEqual([])
      expect(seqs).toEqual(seqs.toSorted((a, b) => a - b))
      expect(seqs.some((n) => n >= 1_000_000)).toBe(true)
    } finally {
      await storage.close()
    }
  }, 60_000)
})
