import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageFullError, StorageError } from './errors.ts'
import type { FullPolicy, StorageBackend, StoredEntry, StoredRecord } from './types.ts'

/** What the suite hands a backend factory. `dir` is a fresh, empty temporary folder per backend. */
export interface StorageFactoryOptions {
  dir: string
  maxRecords: number
  fullPolicy: FullPolicy
  ttlMs?: number
  now?: () => number
}

export type StorageFactory = (options: StorageFactoryOptions) => Promise<StorageBackend>

export interface StorageSuiteOptions {
  /** Run the persistence tests (close + reopen, corrupt tail). @default false */
  durable?: boolean
  /** Opens the backend again on `dir` after close(). @default the factory with maxRecords 1000, policy reject */
  reopen?: (dir: string) => Promise<StorageBackend>
  /** Damages the last record written to `dir` (truncates or garbles it); the backend is closed when called. */
  corruptTail?: (dir: string) => Promise<void>
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

    async function reopen(dir: string): Promise<StorageBackend> {
      const storage = options.reopen
        ? await options.reopen(dir)
        : await factory({ dir, maxRecords: 1000, fullPolicy: 'reject' })
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
      expect([a, b, c].map((x) => x.map(seqOf))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
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
      const err = await storage.put([4, 5].map((i) => sampleRecord(i))).then(() => null, (e: unknown) => e)
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
