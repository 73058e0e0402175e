import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { sampleRecord, testStorageBackend } from './conformance.ts'
import { createFileStorage, type FileStorage } from './file.ts'
import { segmentSeq } from './file-format.ts'
import type { Logger } from './logger.ts'
import { mountTmpfs } from '../test/storage-mount.ts'

async function lastSegment(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => segmentSeq(n) !== undefined).toSorted()
  const last = names[names.length - 1]
  if (last === undefined) throw new Error(`no segment in ${dir}`)
  return join(dir, last)
}

testStorageBackend(
  'file',
  async (o) => createFileStorage({ dir: o.dir, maxRecords: o.maxRecords, fullPolicy: o.fullPolicy, ttlMs: o.ttlMs, now: o.now, maxRecordsPerFile: 4 }),
  {
    durable: true,
    reopen: async (dir) => createFileStorage({ dir, maxRecords: 1000, maxRecordsPerFile: 4 }),
    corruptTail: async (dir) => {
      const path = await lastSegment(dir)
      const { size } = await stat(path)
      await truncate(path, size - 7)
    },
  },
)

function captureLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (msg) => warnings.push(msg),
    error: (msg) => warnings.push(msg),
  }
}

const big = (i: number): ReturnType<typeof sampleRecord> => sampleRecord(i, { attributes: { blob: 'x'.repeat(2000) } })
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
    const err = await createFileStorage({ dir: join(notADir, 'data'), maxRecords: 10 }).then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'STORAGE_IO' })
    expect((err as Error).message).toContain(join(notADir, 'data'))
    expect((err as Error).message).toMatch(/ENOTDIR|EEXIST/)
  })

  it('a read-only folder (real EROFS) fails at open with a clear error, even with data in it', async (ctx) => {
    const fs = await mountTmpfs(512)
    if ('unavailable' in fs) {
      console.warn(`skipped the read-only folder check: ${fs.unavailable}`)
      return ctx.skip(fs.unavailable)
    }
    try {
      const first = await createFileStorage({ dir: fs.dir, maxRecords: 10, logger: captureLogger() })
      await first.put([sampleRecord(0)])
      await first.close()
      await fs.readOnly()
      const err = await createFileStorage({ dir: fs.dir, maxRecords: 10 }).then(() => null, (e: unknown) => e)
      expect(err).toMatchObject({ code: 'STORAGE_IO' })
      expect((err as Error).message).toContain(fs.dir)
      expect((err as Error).message).toContain('EROFS')
      expect((err as Error).message).toContain('not writable')
    } finally {
      await fs.unmount()
    }
  })

  it('disk full (real ENOSPC): put rejects STORAGE_IO, reads and acks go on, acks free space, nothing stored is lost', async (ctx) => {
    const fs = await mountTmpfs(256)
    if ('unavailable' in fs) {
      console.warn(`skipped the disk-full check: ${fs.unavailable}`)
      return ctx.skip(fs.unavailable)
    }
    try {
      const logger = captureLogger()
      const s = await createFileStorage({ dir: fs.dir, maxRecords: 100_000, maxRecordsPerFile: 10, maxFileCount: 1000, logger })
      let stored = 0
      let failure: unknown
      for (let i = 0; i < 1000; i++) {
        try {
          await s.put([big(i)])
          stored++
        } catch (error) {
          failure = error
          break
        }
      }
      expect(failure).toMatchObject({ code: 'STORAGE_IO' })
      expect((failure as Error).message).toContain('ENOSPC')
      expect((failure as Error).message).toContain(fs.dir)
      expect(s.size()).toBe(stored)
      // a second failing put does not break anything either
      await expect(s.put([big(-1)])).rejects.toMatchObject({ code: 'STORAGE_IO' })
      const firstHalf = await s.read(Math.floor(stored / 2))
      expect(firstHalf.map(seqOf)).toEqual(Array.from({ length: firstHalf.length }, (_, i) => i))
      await s.ack(firstHalf.map((e) => e.id))
      await s.put([big(stored)]) // deleting drained segments made room
      await s.close()
      const again = await createFileStorage({ dir: fs.dir, maxRecords: 100_000, maxRecordsPerFile: 10, maxFileCount: 1000, logger })
      const rest = await again.read(100_000)
      expect(rest.map(seqOf)).toEqual(Array.from({ length: stored - firstHalf.length + 1 }, (_, i) => firstHalf.length + i))
      expect(again.stats().corruptSkipped).toBe(0)
      await again.close()
    } finally {
      await fs.unmount()
    }
  })
})
