import { logFnOf } from '@restgate/core'
import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { sampleRecord, testStorageBackend, type DurabilityProbe } from './conformance.ts'
import { createFileStorage, defaultFileSync, type FileStorage } from './file.ts'
import { encodeLine, segmentSeq } from './file-format.ts'
import type { Logger } from './logger.ts'

async function lastSegment(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => segmentSeq(n) !== undefined).toSorted()
  const last = names[names.length - 1]
  if (last === undefined) throw new Error(`no segment in ${dir}`)
  return join(dir, last)
}

/**
 * The file backend's durability, observed: the probe's sync wraps the segment's own FileHandle
 * `datasync`/`sync` for the duration of the backend's call, so it records a sync only when the
 * backend really called one, and the bytes it covered; the folder fsync is recorded per segment.
 */
function fileDurability(): DurabilityProbe {
  const synced = new Map<string, number>()
  const inFolder = new Set<string>()
  return {
    open: async (o) =>
      createFileStorage({
        dir: o.dir,
        maxRecords: o.maxRecords,
        fullPolicy: o.fullPolicy,
        maxRecordsPerFile: 4,
        sync: {
          async data(fh, path) {
            const { size } = await fh.stat()
            let called = false
            const handle = fh as unknown as Record<'datasync' | 'sync', () => Promise<void>>
            const real = { datasync: fh.datasync.bind(fh), sync: fh.sync.bind(fh) }
            handle.datasync = async () => {
              await real.datasync()
              called = true
            }
            handle.sync = async () => {
              await real.sync()
              called = true
            }
            try {
              await defaultFileSync.data(fh, path)
            } finally {
              handle.datasync = real.datasync
              handle.sync = real.sync
            }
            if (called) synced.set(path, Math.max(synced.get(path) ?? 0, size))
          },
          async dir(dir) {
            const names = await readdir(dir)
            await defaultFileSync.dir(dir)
            for (const n of names) inFolder.add(join(dir, n))
          },
        },
      }),
    async unsynced(_storage, dir) {
      const out: string[] = []
      for (const name of await readdir(dir)) {
        if (segmentSeq(name) === undefined) continue
        const path = join(dir, name)
        const { size } = await stat(path)
        const covered = synced.get(path) ?? 0
        if (size > covered) out.push(`${name}: ${size - covered} byte(s) acknowledged but written after its last completed fdatasync`)
        if (!inFolder.has(path)) out.push(`${name}: created, but the folder was not fsync'ed afterwards`)
      }
      return out
    },
  }
}

/** Appends one line (with a valid CRC) to the newest segment of a closed store. */
async function appendLine(dir: string, id: number, json: string): Promise<void> {
  await appendFile(await lastSegment(dir), encodeLine(id, json))
}

testStorageBackend(
  'file',
  async (o) =>
    createFileStorage({
      dir: o.dir,
      maxRecords: o.maxRecords,
      fullPolicy: o.fullPolicy,
      ttlMs: o.ttlMs,
      now: o.now,
      maxRecordsPerFile: 4,
      maxFileCount: 100_000,
      ...(o.logger ? { logger: o.logger } : {}),
    }),
  {
    durable: true,
    reopen: async (dir, logger) => createFileStorage({ dir, maxRecords: 1000, maxRecordsPerFile: 4, maxFileCount: 100_000, ...(logger ? { logger } : {}) }),
    corruptTail: async (dir) => {
      const path = await lastSegment(dir)
      const { size } = await stat(path)
      await truncate(path, size - 7)
    },
    durability: fileDurability(),
    storedFaults: {
      writeMalformed: (dir) => appendLine(dir, 1000, JSON.stringify({ deviceName: 42, deviceType: 'x', telemetry: 'not a list', receivedAt: 'soon' })),
      writeWithId: (dir, id, record) => appendLine(dir, id, JSON.stringify(record)),
    },
    diskFaults: true,
  },
)

function captureLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return {
    warnings,
    debug: () => {},
    info: () => {},
    warn: logFnOf((msg) => void warnings.push(msg)),
    error: logFnOf((msg) => void warnings.push(msg)),
  }
}

const seqOf = (r: { record: { telemetry?: Array<{ values: Record<string, unknown> }> } }): unknown => r.record.telemetry?.[0]?.values['seq']

describe('createFileStorage', () => {
  const dirs: string[] = []
  const open: FileStorage[] = []
  async function tempDir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'restgate-file-'))
    dirs.push(d)
    return d
  }
  async function make(dir: string, extra: Partial<Parameters<typeof createFileStorage>[0]> = {}): Promise<FileStorage> {
    const s = await createFileStorage({ dir, maxRecords: 10_000, ...extra })
    open.push(s)
    return s
  }
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => {})
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  it('group commit: 64 concurrent puts share far fewer flushes and fsyncs', async () => {
    const s = await make(await tempDir())
    await s.put([sampleRecord(0)])
    const before = s.stats()
    expect(before.flushes).toBe(1)
    await Promise.all(Array.from({ length: 64 }, (_, i) => s.put([sampleRecord(i + 1)])))
    const after = s.stats()
    expect(after.size).toBe(65)
    expect(after.flushes - before.flushes).toBeLessThanOrEqual(4)
    expect(after.fsyncs - before.fsyncs).toBeLessThanOrEqual(8)
    expect((await s.read(100)).map(seqOf)).toEqual(Array.from({ length: 65 }, (_, i) => i))
  })

  it('one writer pays one flush per put (durable before resolve)', async () => {
    const s = await make(await tempDir())
    for (let i = 0; i < 5; i++) await s.put([sampleRecord(i)])
    expect(s.stats().flushes).toBe(5)
  })

  it('rotates segments at maxRecordsPerFile and deletes fully acked ones', async () => {
    const dir = await tempDir()
    const s = await make(dir, { maxRecordsPerFile: 3, maxFileCount: 5 })
    await s.put([0, 1, 2, 3, 4, 5, 6].map((i) => sampleRecord(i)))
    expect(s.stats().segments).toBe(3)
    const first = await s.read(6)
    await s.ack(first.map((e) => e.id))
    expect(s.stats().segments).toBe(1)
    expect((await readdir(dir)).filter((n) => n.endsWith('.log'))).toHaveLength(1)
    expect((await s.read(10)).map(seqOf)).toEqual([6])
  })

  it('bounds the total at maxFileCount × maxRecordsPerFile', async () => {
    const s = await make(await tempDir(), { maxRecordsPerFile: 2, maxFileCount: 2 })
    await s.put([0, 1, 2, 3].map((i) => sampleRecord(i)))
    await expect(s.put([sampleRecord(4)])).rejects.toMatchObject({ code: 'STORAGE_FULL', capacity: 4 })
  })

  it('a garbled record in the middle is skipped; records before and after it load', async () => {
    const dir = await tempDir()
    const logger = captureLogger()
    const s = await make(dir, { logger })
    for (let i = 0; i < 5; i++) await s.put([sampleRecord(i)])
    await s.close()
    const path = await lastSegment(dir)
    const text = await readFile(path, 'utf8')
    const lines = text.split('\n')
    lines[2] = (lines[2] as string).replace('"seq":2', '"seq":7')
    await writeFile(path, lines.join('\n'))
    const again = await make(dir, { logger })
    expect((await again.read(10)).map(seqOf)).toEqual([0, 1, 3, 4])
    expect(again.stats().corruptSkipped).toBe(1)
    expect(logger.warnings.some((w) => w.includes('corrupt') && w.includes(path))).toBe(true)
  })

  it('after a torn tail, new records are appended cleanly and survive another reopen', async () => {
    const dir = await tempDir()
    const s = await make(dir)
    for (let i = 0; i < 3; i++) await s.put([sampleRecord(i)])
    await s.close()
    const path = await lastSegment(dir)
    await truncate(path, (await stat(path)).size - 3)
    const again = await make(dir, { logger: captureLogger() })
    expect(again.stats().corruptSkipped).toBe(1)
    await again.put([sampleRecord(3)])
    await again.close()
    const third = await make(dir)
    expect(third.stats().corruptSkipped).toBe(0)
    expect((await third.read(10)).map(seqOf)).toEqual([0, 1, 3])
  })

  it('id renumbering interrupted by a crash: a committed one (compact.log) is finished at open, an uncommitted one (compact.tmp) discarded', async () => {
    // committed: compact.log holds the renumbered backlog; the old segments are still there
    const dir = await tempDir()
    const s = await make(dir)
    await s.put([0, 1, 2].map((i) => sampleRecord(i)))
    await s.close()
    await writeFile(join(dir, 'compact.log'), [1, 2].map((i) => encodeLine(i, JSON.stringify(sampleRecord(10 + i)))).join(''))
    const log = captureLogger()
    const again = await make(dir, { logger: log })
    expect((await again.read(10)).map(seqOf)).toEqual([11, 12])
    expect(log.warnings.join('\n')).toMatch(/finished renumbering/)
    expect((await readdir(dir)).filter((n) => n.startsWith('compact'))).toEqual([])
    await again.put([sampleRecord(13)])
    const next = await again.read(10)
    expect(next.map(seqOf)).toEqual([13])
    expect(next[0]?.id).toBe(3)
    // not committed: compact.tmp is deleted, the segments are the truth
    const other = await tempDir()
    const t = await make(other)
    await t.put([0, 1].map((i) => sampleRecord(i)))
    await t.close()
    await writeFile(join(other, 'compact.tmp'), encodeLine(1, JSON.stringify(sampleRecord(99))))
    const back = await make(other)
    expect((await back.read(10)).map(seqOf)).toEqual([0, 1])
    expect((await readdir(other)).filter((n) => n.startsWith('compact'))).toEqual([])
  })

  it('ids keep increasing after every record was acked and the folder reopened', async () => {
    const dir = await tempDir()
    const s = await make(dir, { maxRecordsPerFile: 2 })
    await s.put([0, 1, 2].map((i) => sampleRecord(i)))
    const entries = await s.read(10)
    await s.ack(entries.map((e) => e.id))
    await s.close()
    const again = await make(dir, { maxRecordsPerFile: 2 })
    await again.put([sampleRecord(3)])
    const [next] = await again.read(1)
    expect(next?.id).toBeGreaterThan(Math.max(...entries.map((e) => e.id)))
  })

  it('acks out of order are persisted and honoured after reopen', async () => {
    const dir = await tempDir()
    const s = await make(dir)
    await s.put([0, 1, 2, 3, 4, 5].map((i) => sampleRecord(i)))
    const e = await s.read(6)
    await s.ack([e[4]?.id as number, e[1]?.id as number])
    // no close(): the ack state on disk must already say so
    const again = await make(dir)
    expect((await again.read(10)).map(seqOf)).toEqual([0, 2, 3, 5])
  })

  it('acks racing with rotating group commits never delete a segment that is being written', async () => {
    const dir = await tempDir()
    const s = await make(dir, { maxRecordsPerFile: 2, maxFileCount: 10_000 })
    const acked = new Set<number>()
    let next = 0
    for (let round = 0; round < 40; round++) {
      const puts = Array.from({ length: 7 }, () => s.put([sampleRecord(next++)]))
      const reader = (async () => {
        const batch = await s.read(5)
        await s.ack(batch.map((e) => e.id))
        for (const e of batch) acked.add(seqOf(e) as number)
      })()
      await Promise.all([...puts, reader])
    }
    await s.close()
    const again = await make(dir, { maxRecordsPerFile: 2, maxFileCount: 10_000 })
    const expected = Array.from({ length: next }, (_, i) => i).filter((i) => !acked.has(i))
    expect((await again.read(100_000)).map(seqOf)).toEqual(expected)
    expect(again.stats().corruptSkipped).toBe(0)
  })

  it('does not store records that cannot be JSON-encoded', async () => {
    const s = await make(await tempDir())
    const bad = { ...sampleRecord(0), attributes: { big: 1n } }
    await expect(s.put([bad])).rejects.toMatchObject({ code: 'INVALID_RECORD' })
    expect(s.size()).toBe(0)
  })

  it('rejects invalid options and use after close', async () => {
    const dir = await tempDir()
    await expect(createFileStorage({ dir, maxRecords: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    await expect(createFileStorage({ dir, maxRecords: 5, maxRecordsPerFile: 1.5 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    const s = await make(dir)
    await s.close()
    await expect(s.put([sampleRecord(0)])).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
    await expect(s.read(1)).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
  })

  it('creating a backend where the folder path is a file fails with STORAGE_IO naming the path and errno', async () => {
    const dir = await tempDir()
    const notADir = join(dir, 'plain-file')
    await writeFile(notADir, 'x')
    const err = await createFileStorage({ dir: join(notADir, 'data'), maxRecords: 10 }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'STORAGE_IO' })
    expect((err as Error).message).toContain(join(notADir, 'data'))
    expect((err as Error).message).toMatch(/ENOTDIR|EEXIST/)
  })

  // a read-only folder and a full disk: the conformance suite's disk-fault checks (diskFaults above)
})
