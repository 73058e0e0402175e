/**
 * Fault: the disk under the storage refuses writes. Real failures on a private tmpfs: a tiny one
 * fills up (ENOSPC / SQLITE_FULL), a remount makes it read-only (EROFS). The gateway is the real CLI
 * process. Checked: a refused write is an HTTP 503 with Retry-After (never a 500, never a crash),
 * the log names the folder and the reason, every request answered 200 still arrives, and the
 * gateway serves again once there is space (freed by delivering the backlog) or the folder is
 * writable again. A read-only folder at start is a start-up error naming the folder (exit code 1).
 *
 * Mounting needs root (CAP_SYS_ADMIN); where that is not permitted each test is skipped at run
 * time with the reason printed.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, type TestContext } from 'vitest'
import { configFolder, gatewayExit, gatewayProcess, sandbox, tmpfs, type Tmpfs } from './_faults.ts'
import { arrivals, post, report, sleep, startLoad, waitForArrivals } from './_traffic.ts'

async function mountOrSkip(ctx: TestContext, sizeKb: number): Promise<Tmpfs> {
  const fs = await tmpfs(sizeKb)
  if ('unavailable' in fs) {
    console.warn(`[fault] skipped: ${fs.unavailable}`)
    ctx.skip(fs.unavailable)
    throw new Error('unreachable: ctx.skip() throws')
  }
  return fs
}

const fileStorage = (dir: string): Record<string, unknown> => ({ type: 'file', data_folder_path: dir, max_records_per_file: 20, max_file_count: 1000 })
const sqliteStorage = (dir: string): Record<string, unknown> => ({ type: 'sqlite', data_file_path: `${dir}/` })
const storages: Array<[string, (dir: string) => Record<string, unknown>]> = [
  ['file', fileStorage],
  ['sqlite', sqliteStorage],
]
/** Room left on the small disk: SQLite also needs room for its WAL (each commit appends whole pages). */
const room: Record<string, number> = { file: 48 * 1024, sqlite: 512 * 1024 }

/** Posts `n` until it is answered 200 (or `timeoutMs` passes); resolves with the last answer. */
async function postUntilOk(url: string, device: string, n: number, timeoutMs: number): Promise<Awaited<ReturnType<typeof post>>> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const r = await post(url, device, n)
    if (r.status === 200 || Date.now() > until) return r
    await sleep(100)
  }
}

describe('disk full', { timeout: 120_000 }, () => {
  it.for(storages)('%s: 503 while the disk is full, no crash; serving again once delivery frees space', async ([name, storage], ctx) => {
    const disk = await mountOrSkip(ctx, 2048)
    // leave the storage little room: the filler takes most of the tmpfs
    writeFileSync(join(disk.dir, 'filler.bin'), Buffer.alloc(2048 * 1024 - (room[name] as number)))
    const sb = await sandbox()
    await sb.stop() // ThingsBoard down: the backlog stays on the small disk
    const prefix = `DF${name}`
    const folder = await configFolder(sb.port, storage(join(disk.dir, 'data')))
    const gw = await gatewayProcess(folder)

    const load = startLoad({ url: folder.url, prefix, senders: 4, total: 3_000, intervalMs: 0, stopAfterRefused: 12 })
    const result = await load.done
    const refusedCodes = new Set(result.refused.map((r) => `${r.status} ${r.code}`))
    expect([...result.statuses.keys()].filter((k) => k !== '200' && !k.startsWith('503 '))).toEqual([])
    expect(result.refused.length, 'the disk never filled up').toBeGreaterThan(0)
    expect(refusedCodes).toEqual(new Set(['503 SINK_FAILED']))
    for (const r of result.refused) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1)
    expect(gw.cli.child.exitCode).toBeNull()
    expect(gw.output()).toMatch(name === 'file' ? /ENOSPC/ : /SQLITE_FULL|ENOSPC/)
    expect(gw.output()).toContain(join(disk.dir, 'data'))

    // ThingsBoard comes back: the backlog is delivered once (acks work on the full disk too)
    await sb.start()
    const got = await waitForArrivals(sb, prefix, result.ok, 20_000, gw.output)
    expect([...got.keys()].filter((n) => !result.ok.has(n))).toEqual([])
    await sleep(300)
    const duplicates = [...arrivals(sb, prefix).values()].filter((list) => list.length > 1).length
    expect(duplicates).toBe(0)
    let stillFull: number | undefined
    if (name === 'sqlite') {
      // SQLite keeps the pages freed by delivery in its file: a new record fits there only once a
      // checkpoint has let the WAL start over (timing), else the disk stays full (503, no crash)
      // until the operator frees space
      const probe = await post(folder.url, `${prefix}-x`, 9_999)
      expect([200, 503]).toContain(probe.status)
      if (probe.status === 503) expect(probe.code).toBe('SINK_FAILED')
      stillFull = probe.status
      rmSync(join(disk.dir, 'filler.bin'))
    } // file: delivered segments are deleted, which frees the disk by itself
    const again = await postUntilOk(folder.url, `${prefix}-x`, 10_000, 10_000)
    expect(again.status).toBe(200)
    for (let n = 10_001; n < 10_020; n++) expect((await post(folder.url, `${prefix}-x`, n)).status).toBe(200)
    await waitForArrivals(
      sb,
      prefix,
      Array.from({ length: 20 }, (_, i) => 10_000 + i),
      10_000,
      gw.output,
    )
    report(`disk full (${name})`, {
      answered: result.statuses,
      delivered: result.ok.size,
      duplicates,
      spaceBack: name === 'file' ? 'delivered segments deleted' : `operator removed the filler (a post before that: ${stillFull})`,
    })
    expect(await gw.terminate()).toBe(0)
  })
})

describe('read-only data folder', { timeout: 120_000 }, () => {
  it.for(storages)('%s: at start, a start-up error naming the folder and exit code 1', async ([name, storage], ctx) => {
    const disk = await mountOrSkip(ctx, 1024)
    mkdirSync(join(disk.dir, 'data'))
    await disk.readOnly()
    const sb = await sandbox()
    const folder = await configFolder(sb.port, storage(join(disk.dir, 'data')))
    const { code, output } = await gatewayExit(folder)
    expect(code).toBe(1)
    expect(output).toMatch(/cannot start: /)
    expect(output).toContain(join(disk.dir, 'data'))
    expect(output).toMatch(/EROFS|SQLITE_READONLY|SQLITE_CANTOPEN/)
    expect(output).not.toMatch(/listening on/)
    // a gateway that cannot store anything does not show up at ThingsBoard at all
    expect(output).not.toMatch(/connected to ThingsBoard/)
    expect(sb.state.messageCount).toBe(0)
    report(`read-only folder at start (${name})`, { exitCode: code, message: /cannot start: .*/.exec(output)?.[0] })
  })

  // The kernel refuses to remount a filesystem read-only while a file on it is open for writing
  // (EBUSY), so this runs on an idle store: the file backend opens a segment at the first write.
  it('file: while running, 503 while read-only, no crash, serving again once writable; every 200 arrives', async (ctx) => {
    const disk = await mountOrSkip(ctx, 4096)
    const sb = await sandbox()
    const prefix = 'RO'
    const folder = await configFolder(sb.port, fileStorage(join(disk.dir, 'data')))
    const gw = await gatewayProcess(folder)
    const ok: number[] = []
    await disk.readOnly()
    const whileRo = await Promise.all(Array.from({ length: 10 }, (_, i) => post(folder.url, `${prefix}-1`, 100 + i)))
    expect(whileRo.map((r) => `${r.status} ${r.code}`)).toEqual(Array(10).fill('503 SINK_FAILED'))
    expect(gw.output()).toMatch(/EROFS/)
    await disk.readWrite()
    const back = await postUntilOk(folder.url, `${prefix}-2`, 200, 10_000)
    expect(back.status).toBe(200)
    ok.push(200)
    for (let n = 201; n < 220; n++) {
      expect((await post(folder.url, `${prefix}-2`, n)).status).toBe(200)
      ok.push(n)
    }
    const got = await waitForArrivals(sb, prefix, ok, 15_000, gw.output)
    expect([...got.keys()].filter((n) => n >= 100 && n < 110)).toEqual([]) // refused ones were not stored
    expect(gw.cli.child.exitCode).toBeNull()
    report('read-only folder while running (file)', { refused: whileRo.length, after: ok.length })
    expect(await gw.terminate()).toBe(0)
  })
})
