import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { StorageConfig } from '@restgate/config'
import type { StorageBackend } from '@restgate/storage'
import { fileStorageDefaults } from '@restgate/storage/file'
import { memoryStorageDefaults } from '@restgate/storage/memory'
import { openGatewayStorage } from './storage.ts'

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
const base = { dataFolderPath: '/nonexistent', dataFilePath: '/nonexistent', messagesTtlInDays: 7 }
const createStorage = (c: Partial<StorageConfig> & Pick<StorageConfig, 'type'>): Promise<StorageBackend> => openGatewayStorage({ ...base, ...c }, quiet)

const open: StorageBackend[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'restgate-create-storage-'))
  dirs.push(d)
  return d
}

describe('openGatewayStorage (tb_gateway.json storage → backend)', () => {
  it('maps memory with maxRecordsCount and fullPolicy', async () => {
    const s = await createStorage({ type: 'memory', maxRecordsCount: 2, fullPolicy: 'dropOldest' })
    open.push(s)
    expect(s.kind).toBe('memory')
    const r = { deviceName: 'd', deviceType: 't', attributes: { a: 1 }, receivedAt: 0 }
    await s.put([r, r])
    await s.put([r])
    expect(s.size()).toBe(2)
    expect(s.stats().droppedOldest).toBe(1)
  })

  it('opens file storage in dataFolderPath and sqlite storage in dataFilePath', async () => {
    const file = await createStorage({ type: 'file', dataFolderPath: await tempDir(), maxFileCount: 2, maxRecordsPerFile: 3 })
    open.push(file)
    expect(file.kind).toBe('file')
    const sqlite = await createStorage({ type: 'sqlite', dataFilePath: await tempDir() })
    open.push(sqlite)
    expect(sqlite.kind).toBe('sqlite')
    const r = { deviceName: 'd', deviceType: 't', attributes: { a: 1 }, receivedAt: Date.now() }
    for (const s of [file, sqlite]) {
      await s.put([r])
      expect((await s.read(5)).map((e: { record: unknown }) => e.record)).toEqual([r])
    }
  })

  it('bounds file storage by maxFileCount x maxRecordsPerFile', async () => {
    const file = await createStorage({ type: 'file', dataFolderPath: await tempDir(), maxFileCount: 2, maxRecordsPerFile: 2 })
    open.push(file)
    const r = { deviceName: 'd', deviceType: 't', attributes: { a: 1 }, receivedAt: 0 }
    await file.put([r, r, r, r])
    await expect(file.put([r])).rejects.toMatchObject({ code: 'STORAGE_FULL' })
  })

  it('rejects an unknown type with INVALID_OPTIONS naming the key', async () => {
    await expect(createStorage({ type: 'redis' } as never)).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('storage.type') })
  })

  it('keys the file leaves out get the backend defaults (one place: @restgate/storage)', async () => {
    const memory = await createStorage({ type: 'memory' })
    open.push(memory)
    const r = { deviceName: 'd', deviceType: 't', attributes: { a: 1 }, receivedAt: 0 }
    const max = memoryStorageDefaults.maxRecords
    await memory.put(Array.from({ length: max }, () => r))
    await expect(memory.put([r])).rejects.toMatchObject({ code: 'STORAGE_FULL' })
    const file = await createStorage({ type: 'file', dataFolderPath: await tempDir(), maxFileCount: 1 })
    open.push(file)
    await file.put(Array.from({ length: fileStorageDefaults.maxRecordsPerFile }, () => r))
    await expect(file.put([r])).rejects.toMatchObject({ code: 'STORAGE_FULL', capacity: fileStorageDefaults.maxRecordsPerFile })
  })
})
