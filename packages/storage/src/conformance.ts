import { logFnOf } from '@restgate/core'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageFullError, StorageError } from './errors.ts'
import type { Logger } from './logger.ts'
import { mountTmpfs } from './tmpfs.ts'
import type { FullPolicy, StorageBackend, StoredEntry, StoredRecord } from './types.ts'

/** What the suite hands a backend factory. `dir` is a fresh, empty temporary folder per backend. */
export interface StorageFactoryOptions {
  dir: string
  maxRecords: number
  fullPolicy: FullPolicy
  ttlMs?: number
  now?: () => number
  /** Where the backend logs; the suite reads its WARN lines. */
  logger?: Logger
}

export type StorageFactory = (options: StorageFactoryOptions) => Promise<StorageBackend>

export interface StorageSuiteOptions {
  /** Run the persistence tests (close + reopen, corrupt tail). @default false */
  durable?: boolean
  /** Opens the backend again on `dir` after close(). @default the factory with maxRecords 1000, policy reject */
  reopen?: (dir: string, logger?: Logger) => Promise<StorageBackend>
  /** Damages the last record written to `dir` (truncates or garbles it); the backend is closed when called. */
  corruptTail?: (dir: string) => Promise<void>
  /** Capability: durability checks (a put resolves only once its data is on stable storage). */
  durability?: DurabilityProbe
  /** Capability: checks of what a durable store may find in its files (malformed records, extreme ids). */
  storedFaults?: StoredFaults
  /**
   * Capability: real disk faults on a private tmpfs (ENOSPC, EROFS). Needs root with CAP_SYS_ADMIN;
   * elsewhere these checks are skipped at run time with the reason printed. @default false
   */
  diskFaults?: boolean
}

/**
 * Observes a durable backend's way to stable storage. The suite opens the backend through `open`,
 * and right after each `put()` resolves (no other write in flight) asks `unsynced` what was
 * acknowledged but is not on stable storage now; any answer fails the check.
 */
export interface DurabilityProbe {
  /** Opens the backend on `options.dir` with its sync calls observed (e.g. an injected, recording sync). */
  open(options: StorageFactoryOptions): Promise<StorageBackend>
  /**
   * One line per problem, empty when everything acknowledged is durable. For example file: bytes of
   * a segment written after its last completed fdatasync, or a new segment whose folder was not
   * fsync'ed; sqlite: a database not in WAL mode with `synchronous = FULL`.
   */
  unsynced(storage: StorageBackend, dir: string): Promise<string[]>
}

/** Writes into a CLOSED durable store what damaged or hostile files may hold. */
export interface StoredFaults {
  /**
   * Adds, after the records already in `dir`, one record that passes the store's own integrity
   * checks (CRC, JSON object) but is not a StoredRecord (e.g. `deviceName: 42`, `telemetry: "x"`).
   */
  writeMalformed(dir: string): Promise<void>
  /** Adds, after the records already in `dir`, `record` stored under the id `id`. */
  writeWithId(dir: string, id: number, record: StoredRecord): Promise<void>
}

/** A logger that keeps WARN and ERROR lines. */
function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return { lines, debug: () => {}, info: () => {}, warn: logFnOf((msg) => void lines.push(msg)), error: logFnOf((msg) => void lines.push(msg)) }
}

/** A record with awkward content: unicode, nested JSON, every JSON value type. */
export function sampleRecord(i: number, overrides: Partial<StoredRecord> = {}): StoredRecord {
  return {
    deviceName: `Dev ${i % 3} ü€😀`,
    deviceType: i % 2 === 0 ? 'thermo' : 'default',
    attributes: i % 2 === 0 ? { model: `M-${i}`, nested: { list: [1, null, 'x'], flag: true } } : undefined,
    telemetry: [{ ts: 1_700_000_000_000 + i, values: { seq: i, t: 23.5, s: 'a "quoted"\nline', n: null } }],
    connectorName: i % 2 === 0 ? 'REST Connector' : undefined,
    receivedAt: 1_700_000_000_000,
    ...overrides,
  }
}

const seqOf = (e: StoredEntry): unknown => e.record.telemetry?.[0]?.values['seq']
const idsOf = (entries: StoredEntry[]): number[] => entries.map((e) => e.id)

/**
 * Registers the storage conformance tests for one backend. Every `StorageBackend` implementation
 * (memory, file, sqlite, third-party) must pass them.
 */
export function testStorageBackend(name: string, factory: StorageFactory, options: StorageSuiteOptions = {}): void {
  describe(`storage conformance: ${name}`, () => {
    const open: StorageBackend[] = []
    const dirs: string[] = []

    async function make(partial: Partial<StorageFactoryOptions> = {}): Promise<{ storage: StorageBackend; dir: string }> {
      const dir = await mkdtemp(join(tmpdir(), 'restgate-storage-'))
      dirs.push(dir)
      const storage = await factory({ dir, maxRecords: 1000, fullPolicy: 'reject', ...partial })
      open.push(storage)
      return { storage, dir }
    }

    async function reopen(dir: string, logger?: Logger): Promise<StorageBackend> {
      const storage = options.reopen
        ? await options.reopen(dir, logger)
        : await factory({ dir, maxRecords: 1000, fullPolicy: 'reject', ...(logger === undefined ? {} : { logger }) })
      open.push(storage)
      return storage
    }

    afterEach(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => {})
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
    })

    it('put/read/ack round trip keeps records intact', async () => {
      const { storage } = await make()
      const records = [sampleRecord(0), sampleRecord(1), sampleRecord(2)]
      await storage.put(records)
      expect(storage.size()).toBe(3)
      const entries = await storage.read(10)
      expect(entries.map((e) => e.record)).toEqual(records)
      expect(idsOf(entries)).toEqual(idsOf(entries).toSorted((a, b) => a - b))
      expect(new Set(idsOf(entries)).size).toBe(3)
      expect(storage.size()).toBe(3)
      await storage.ack(idsOf(entries))
      expect(storage.size()).toBe(0)
      expect(await storage.read(10)).toEqual([])
      expect(storage.stats()).toMatchObject({ kind: storage.kind, size: 0 })
    })

    it('put([]) and read(0) do nothing', async () => {
      const { storage } = await make()
      await storage.put([])
      expect(storage.size()).toBe(0)
      await storage.put([sampleRecord(0)])
      expect(await storage.read(0)).toEqual([])
      expect((await storage.read(5)).length).toBe(1)
    })

    it('read returns oldest first and never returns in-flight entries twice', async () => {
      const { storage } = await make()
      await storage.put([sampleRecord(0), sampleRecord(1)])
      for (let i = 2; i < 10; i++) await storage.put([sampleRecord(i)])
      const a = await storage.read(4)
      const b = await storage.read(4)
      const c = await storage.read(4)
      expect([a, b, c].map((x) => x.map(seqOf))).toEqual([
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
      ])
      expect(await storage.read(4)).toEqual([])
      expect(storage.size()).toBe(10)
      const all = idsOf([...a, ...b, ...c])
      expect(all).toEqual(all.toSorted((x, y) => x - y))
    })

    it('stores concurrent puts in call order', async () => {
      const { storage } = await make()
      await Promise.all([0, 1, 2, 3, 4].map((i) => storage.put([sampleRecord(i)])))
      expect((await storage.read(10)).map(seqOf)).toEqual([0, 1, 2, 3, 4])
    })

    it('release puts entries back in their original order', async () => {
      const { storage } = await make()
      await storage.put([0, 1, 2, 3, 4, 5].map((i) => sampleRecord(i)))
      const a = await storage.read(2)
      const b = await storage.read(2)
      storage.release(idsOf(b).toReversed())
      storage.release(idsOf(a))
      expect(storage.size()).toBe(6)
      const again = await storage.read(10)
      expect(again.map(seqOf)).toEqual([0, 1, 2, 3, 4, 5])
      expect(idsOf(again).slice(0, 4)).toEqual([...idsOf(a), ...idsOf(b)])
    })

    it('ack removes exactly the given ids, ignores unknown ones', async () => {
      const { storage } = await make()
      await storage.put([0, 1, 2, 3, 4].map((i) => sampleRecord(i)))
      const entries = await storage.read(5)
      const ids = idsOf(entries)
      await storage.ack([ids[1] as number, ids[3] as number, 987_654_321])
      expect(storage.size()).toBe(3)
      storage.release(ids)
      expect((await storage.read(10)).map(seqOf)).toEqual([0, 2, 4])
    })

    it('size counts pending and in-flight records', async () => {
      const { storage } = await make()
      await storage.put([0, 1, 2, 3].map((i) => sampleRecord(i)))
      const first = await storage.read(3)
      expect(storage.size()).toBe(4)
      expect(storage.stats().size).toBe(4)
      await storage.ack([first[0]?.id as number])
      expect(storage.size()).toBe(3)
    })

    it('full with policy reject: rejects StorageFullError and stores nothing of that put', async () => {
      const { storage } = await make({ maxRecords: 5, fullPolicy: 'reject' })
      await storage.put([0, 1, 2, 3].map((i) => sampleRecord(i)))
      const err = await storage.put([4, 5].map((i) => sampleRecord(i))).then(
        () => null,
        (e: unknown) => e,
      )
      expect(StorageFullError.is(err)).toBe(true)
      expect(StorageError.is(err)).toBe(true)
      expect((err as StorageFullError).code).toBe('STORAGE_FULL')
      expect(storage.size()).toBe(4)
      await storage.put([sampleRecord(4)])
      await expect(storage.put([sampleRecord(5)])).rejects.toMatchObject({ code: 'STORAGE_FULL' })
      const entries = await storage.read(2)
      await storage.ack(idsOf(entries))
      await storage.put([sampleRecord(5), sampleRecord(6)])
      expect((await storage.read(10)).map(seqOf)).toEqual([2, 3, 4, 5, 6])
      expect(storage.stats().droppedOldest).toBe(0)
    })

    it('full with policy dropOldest: drops and counts the oldest pending records', async () => {
      const { storage } = await make({ maxRecords: 5, fullPolicy: 'dropOldest' })
      await storage.put([0, 1, 2, 3, 4].map((i) => sampleRecord(i)))
      await storage.put([sampleRecord(5), sampleRecord(6)])
      expect(storage.size()).toBe(5)
      expect(storage.stats().droppedOldest).toBe(2)
      expect((await storage.read(10)).map(seqOf)).toEqual([2, 3, 4, 5, 6])
    })

    it('full with policy dropOldest never drops in-flight records', async () => {
      const { storage } = await make({ maxRecords: 3, fullPolicy: 'dropOldest' })
      await storage.put([0, 1, 2].map((i) => sampleRecord(i)))
      const inFlight = await storage.read(2)
      await storage.put([sampleRecord(3)])
      expect(storage.stats().droppedOldest).toBe(1)
      await expect(storage.put([sampleRecord(4), sampleRecord(5)])).rejects.toMatchObject({ code: 'STORAGE_FULL' })
      expect(storage.size()).toBe(3)
      await storage.ack(idsOf(inFlight))
      expect((await storage.read(10)).map(seqOf)).toEqual([3])
    })

    it('expires records older than ttlMs (injectable clock) and counts them', async () => {
      let clock = 1_800_000_000_000
      const { storage } = await make({ ttlMs: 1000, now: () => clock })
      await storage.put([sampleRecord(0, { receivedAt: clock })])
      clock += 600
      await storage.put([sampleRecord(1, { receivedAt: clock }), sampleRecord(2, { receivedAt: clock })])
      clock += 500
      const fresh = await storage.read(10)
      expect(fresh.map(seqOf)).toEqual([1, 2])
      expect(storage.stats().expired).toBe(1)
      clock += 5000
      expect(storage.size()).toBe(2)
      await storage.ack([fresh[0]?.id as number])
      storage.release([fresh[1]?.id as number])
      expect(await storage.read(10)).toEqual([])
      expect(storage.stats().expired).toBe(2)
      expect(storage.size()).toBe(0)
    })

    if (!options.durable) return

    it('durable: close + reopen keeps un-acked entries in order and forgets acked ones', async () => {
      const { storage, dir } = await make()
      await storage.put([0, 1, 2, 3, 4].map((i) => sampleRecord(i)))
      for (let i = 5; i < 8; i++) await storage.put([sampleRecord(i)])
      const entries = await storage.read(6)
      await storage.ack([entries[0]?.id as number, entries[2]?.id as number, entries[3]?.id as number])
      await storage.close()
      const again = await reopen(dir)
      expect(again.size()).toBe(5)
      const loaded = await again.read(100)
      expect(loaded.map(seqOf)).toEqual([1, 4, 5, 6, 7])
      expect(loaded.map((e) => e.record)).toEqual([1, 4, 5, 6, 7].map((i) => sampleRecord(i)))
      expect(idsOf(loaded)).toEqual(idsOf(loaded).toSorted((a, b) => a - b))
      await again.put([sampleRecord(8)])
      const next = await again.read(10)
      expect(next.map(seqOf)).toEqual([8])
      expect(next[0]?.id).toBeGreaterThan(Math.max(...idsOf(loaded)))
      await again.ack([...idsOf(loaded), ...idsOf(next)])
      await again.close()
      const third = await reopen(dir)
      expect(third.size()).toBe(0)
      expect(await third.read(10)).toEqual([])
    })

    const probe = options.durability
    if (probe !== undefined) {
      async function openProbed(): Promise<{ storage: StorageBackend; dir: string }> {
        const dir = await mkdtemp(join(tmpdir(), 'restgate-storage-'))
        dirs.push(dir)
        const storage = await probe!.open({ dir, maxRecords: 1000, fullPolicy: 'reject' })
        open.push(storage)
        return { storage, dir }
      }

      it('durability: every put resolves only once its records are on stable storage', async () => {
        const { storage, dir } = await openProbed()
        for (let i = 0; i < 12; i++) {
          await storage.put([sampleRecord(i)])
          expect(await probe.unsynced(storage, dir), `after put #${i}`).toEqual([])
        }
        await storage.put([12, 13, 14, 15, 16].map((i) => sampleRecord(i)))
        expect(await probe.unsynced(storage, dir), 'after a put of 5').toEqual([])
        await Promise.all([17, 18, 19, 20, 21, 22, 23, 24].map((i) => storage.put([sampleRecord(i)])))
        expect(await probe.unsynced(storage, dir), 'after 8 concurrent puts').toEqual([])
        const entries = await storage.read(100)
        expect(entries.map(seqOf)).toEqual(Array.from({ length: 25 }, (_, i) => i))
        await storage.ack(entries.slice(0, 10).map((e) => e.id))
        await storage.put([sampleRecord(25)])
        expect(await probe.unsynced(storage, dir), 'after acks and another put').toEqual([])
      })
    }

    const faults = options.storedFaults
    if (faults !== undefined) {
      it('stored faults: a malformed stored record is skipped and reported (WARN), the records before and after it are kept', async () => {
        const { storage, dir } = await make()
        await storage.put([0, 1, 2].map((i) => sampleRecord(i)))
        await storage.close()
        await faults.writeMalformed(dir)
        const log = captureLogger()
        const again = await reopen(dir, log)
        await again.put([sampleRecord(3), sampleRecord(4)])
        const first = await again.read(100)
        expect(first.map(seqOf)).toEqual([0, 1, 2, 3, 4])
        again.release(first.map((e) => e.id))
        await again.close()
        // and again: what was stored after the malformed record survives the next start too
        const third = await reopen(dir, log)
        const loaded = await third.read(100)
        expect(loaded.map(seqOf)).toEqual([0, 1, 2, 3, 4])
        expect(loaded.map((e) => e.record)).toEqual([0, 1, 2, 3, 4].map((i) => sampleRecord(i)))
        expect(again.stats().corruptSkipped + third.stats().corruptSkipped).toBeGreaterThanOrEqual(1)
        expect(log.lines.join('\n')).toMatch(/malformed|corrupt/i)
        await third.ack(loaded.map((e) => e.id))
        expect(third.size()).toBe(0)
      })

      it('stored faults: a stored id of Number.MAX_SAFE_INTEGER never makes ids collide; they stay unique and ordered', async () => {
        const { storage, dir } = await make()
        await storage.put([sampleRecord(0), sampleRecord(1)])
        await storage.close()
        await faults.writeWithId(dir, Number.MAX_SAFE_INTEGER, sampleRecord(2))
        const again = await reopen(dir, captureLogger())
        for (let i = 3; i < 23; i++) await again.put([sampleRecord(i)])
        await Promise.all([23, 24, 25, 26].map((i) => again.put([sampleRecord(i)])))
        const all = await again.read(100)
        expect(all.map(seqOf)).toEqual(Array.from({ length: 27 }, (_, i) => i))
        const ids = idsOf(all)
        for (const id of ids) expect(Number.isSafeInteger(id), `id ${id}`).toBe(true)
        expect(new Set(ids).size).toBe(ids.length)
        expect(ids).toEqual(ids.toSorted((a, b) => a - b))
        // acking exactly half removes exactly that half
        const half = all.filter((_, i) => i % 2 === 0)
        await again.ack(idsOf(half))
        expect(again.size()).toBe(27 - half.length)
        again.release(ids)
        expect((await again.read(100)).map(seqOf)).toEqual(all.filter((_, i) => i % 2 === 1).map(seqOf))
        await again.close()
        const third = await reopen(dir)
        await third.put([sampleRecord(27)])
        const rest = await third.read(100)
        expect(rest.map(seqOf)).toEqual([...all.filter((_, i) => i % 2 === 1).map(seqOf), 27])
        expect(new Set(idsOf(rest)).size).toBe(rest.length)
        expect(idsOf(rest)).toEqual(idsOf(rest).toSorted((a, b) => a - b))
      })
    }

    if (options.diskFaults) {
      const big = (i: number): StoredRecord => sampleRecord(i, { attributes: { blob: 'x'.repeat(2000) } })

      it('disk faults: a read-only folder (real EROFS) fails at open with STORAGE_IO naming the folder, even with data in it', async (ctx) => {
        const disk = await mountTmpfs(1024)
        if ('unavailable' in disk) {
          console.warn(`skipped the read-only folder check: ${disk.unavailable}`)
          return ctx.skip(disk.unavailable)
        }
        try {
          const first = await factory({ dir: disk.dir, maxRecords: 10, fullPolicy: 'reject', logger: captureLogger() })
          await first.put([sampleRecord(0)])
          await first.close()
          await disk.readOnly()
          const err = await factory({ dir: disk.dir, maxRecords: 10, fullPolicy: 'reject', logger: captureLogger() }).then(
            () => null,
            (e: unknown) => e,
          )
          expect(StorageError.is(err)).toBe(true)
          expect(err).toMatchObject({ code: 'STORAGE_IO' })
          expect((err as Error).message).toContain(disk.dir)
          expect((err as Error).message).toMatch(/EROFS|READONLY|CANTOPEN|IOERR/)
        } finally {
          await disk.unmount()
        }
      })

      it('disk faults: disk full (real ENOSPC): put rejects STORAGE_IO, reads go on, puts work once there is room, nothing stored is lost', async (ctx) => {
        const disk = await mountTmpfs(512)
        if ('unavailable' in disk) {
          console.warn(`skipped the disk-full check: ${disk.unavailable}`)
          return ctx.skip(disk.unavailable)
        }
        try {
          const filler = join(disk.dir, 'filler.bin')
          await writeFile(filler, Buffer.alloc(64 * 1024))
          const dir = join(disk.dir, 'store')
          const log = captureLogger()
          const s = await factory({ dir, maxRecords: 100_000, fullPolicy: 'reject', logger: log })
          let stored = 0
          let failure: unknown
          for (let i = 0; i < 2000; i++) {
            try {
              await s.put([big(i)])
              stored++
            } catch (error) {
              failure = error
              break
            }
          }
          expect(stored).toBeGreaterThanOrEqual(10)
          expect(failure).toMatchObject({ code: 'STORAGE_IO' })
          expect((failure as Error).message).toContain(disk.dir)
          expect((failure as Error).message).toMatch(/ENOSPC|SQLITE_FULL|SQLITE_IOERR/)
          expect(s.size()).toBe(stored)
          // a second failing put breaks nothing either
          await expect(s.put([big(-1)])).rejects.toMatchObject({ code: 'STORAGE_IO' })
          const some = await s.read(10)
          expect(some.map(seqOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
          s.release(idsOf(some))
          await rm(filler) // the operator frees space: puts work again
          await s.put([big(stored)])
          await s.close()
          const again = await factory({ dir, maxRecords: 100_000, fullPolicy: 'reject', logger: log })
          open.push(again)
          expect((await again.read(100_000)).map(seqOf)).toEqual(Array.from({ length: stored + 1 }, (_, i) => i))
          expect(again.stats().corruptSkipped).toBe(0)
          await again.close()
        } finally {
          await disk.unmount()
        }
      })
    }

    if (!options.corruptTail) return
    const corruptTail = options.corruptTail

    it('durable: a corrupt or truncated tail is skipped and counted, the rest loads', async () => {
      const { storage, dir } = await make()
      for (let i = 0; i < 10; i++) await storage.put([sampleRecord(i)])
      await storage.close()
      await corruptTail(dir)
      const again = await reopen(dir)
      const loaded = await again.read(100)
      const seqs = loaded.map(seqOf)
      expect(seqs.length).toBeGreaterThanOrEqual(9)
      expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].slice(0, seqs.length))
      expect(again.stats().corruptSkipped).toBeGreaterThanOrEqual(1)
      await again.put([sampleRecord(10)])
      expect((await again.read(10)).map(seqOf)).toEqual([10])
    })
  })
}
