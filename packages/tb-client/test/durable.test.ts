import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { StorageBackend } from '@restgate/storage'
import { createFileStorage } from '@restgate/storage/file'
import { createSqliteStorage } from '@restgate/storage/sqlite'
import { waitUntil } from './_broker.ts'
import { broker, client } from './_helpers.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe.each(['file', 'sqlite'] as const)('durable outbox (%s)', (type) => {
  it('data sent but not acknowledged before a restart is delivered by the next client', async () => {
    const dir = await mkdtemp(join(tmpdir(), `restgate-durable-${type}-`))
    dirs.push(dir)
    const createStorage = (): Promise<StorageBackend> => (type === 'file' ? createFileStorage({ dir }) : createSqliteStorage({ path: dir }))
    const b = await broker()
    b.holdPubacks()
    const first = client(b, { storage: createStorage() })
    await first.send([1, 2, 3].map((seq) => ({ deviceName: 'D', telemetry: [{ ts: seq, values: { seq } }] })))
    await waitUntil(() => b.heldCount() === 1, 'the connect publish (its PUBACK held)')
    await first.stop({ flushTimeoutMs: 0 })
    expect(first.stats().acked).toBe(0)
    b.releasePubacks()

    const second = client(b, { storage: createStorage() })
    await second.ready()
    expect(second.stats().storage.size).toBe(3)
    expect(await second.flush(10_000)).toBe(true)
    const seqs = b.on('v1/gateway/telemetry').flatMap((p) => (p.json() as { D: Array<{ values: { seq: number } }> }).D.map((e) => e.values.seq))
    expect(seqs).toEqual([1, 2, 3])
    expect(second.stats().acked).toBe(3)
    await second.stop()
  })
})
