import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createStorage } from './index.ts'
import type { StorageBackend } from './types.ts'

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

describe('createStorage', () => {
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
      expect((await s.read(5)).map((e) => e.record)).toEqual([r])
    }
  })

  it('bounds file storage by maxFileCount x maxRecordsPerFile', async () => {
    const file = await createStorage({ type: 'file', dataFolderPath: await tempDir(), maxFileCount: 2, maxRecordsPerFile: 2 })
    open.push(file)
    const r = { deviceName: 'd', deviceType: 't', attributes: { a: 1 }, receivedAt: 0 }
    await file.put([r, r, r, r])
    await expect(file.put([r])).rejects.toMatchObject({ code: 'STORAGE_FULL' })
  })

  it('rejects an unknown type or a missing folder with INVALID_OPTIONS naming the key', async () => {
    await expect(createStorage({ type: 'redis' } as never)).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('storage.type') })
    await expect(createStorage({ type: 'file' })).rejects.toMatchObject({ message: expect.stringContaining('storage.dataFolderPath') })
    await expect(createStorage({ type: 'sqlite' })).rejects.toMatchObject({ message: expect.stringContaining('storage.dataFilePath') })
  })
})
