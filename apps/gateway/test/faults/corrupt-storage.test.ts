/**
 * Fault: the storage the gateway finds at start is damaged. A first gateway process stores a
 * backlog while ThingsBoard is down and stops; the test damages the files (or, for a database that
 * is garbage from its first byte, writes it); a second gateway starts on the same config with
 * ThingsBoard up. Checked message by message: the gateway starts, delivers
 * exactly what is still readable (nothing else is lost, nothing invented), says in its log what it
 * skipped and how much, and keeps accepting and delivering new data.
 *
 * What is recoverable:
 * - `file`: every line is CRC-checked, so a garbled line costs that record only; a torn tail (a
 *   write cut short) costs the record it held, and is cut off before appending again.
 * - `sqlite`: a torn or garbage WAL tail is discarded by SQLite and only ever held a transaction
 *   whose put had not completed: every committed record is kept. A database file that SQLite
 *   rejects (truncated, or not a database at all) is moved aside; the records that can still be
 *   read from it are carried over to a fresh database.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configFolder, type FaultFolder, gatewayProcess, sandbox, type TestSandbox } from './_faults.ts'
import { arrivals, post, report, sleep, waitForArrivals } from './_traffic.ts'

/**
 * Stores `count` messages with ThingsBoard down, then stops the gateway. `inOrder`: one at a time
 * (storage order = n order), else 8 at a time (when the test finds each record's n in the files).
 */
async function storeBacklog(
  sb: TestSandbox,
  storage: Record<string, unknown>,
  prefix: string,
  count: number,
  stop: 'SIGTERM' | 'SIGKILL',
  inOrder: boolean,
): Promise<FaultFolder> {
  await sb.stop()
  const folder = await configFolder(sb.port, storage)
  const gw = await gatewayProcess(folder)
  const senders = inOrder ? 1 : 8
  let next = 0
  const sender = async (): Promise<void> => {
    for (let n = next++; n < count; n = next++) {
      const r = await post(folder.url, `${prefix}-0`, n)
      expect(r.status, `store #${n}`).toBe(200)
    }
  }
  await Promise.all(Array.from({ length: senders }, sender))
  if (stop === 'SIGTERM') expect(await gw.terminate()).toBe(0)
  else await gw.kill9()
  return folder
}

/** The sequence number a stored record (one line of a segment file) carries. */
const nOf = (line: string): number => Number(/"n":(\d+)/.exec(line)?.[1])

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)

/** After the expected set arrived, nothing else may come: give stragglers a moment, then compare exactly. */
async function expectExactly(sb: TestSandbox, prefix: string, expected: readonly number[], output: () => string): Promise<void> {
  await waitForArrivals(sb, prefix, expected, 15_000, output)
  await sleep(300)
  const got = arrivals(sb, prefix)
  expect([...got.keys()].toSorted((a, b) => a - b)).toEqual([...expected].toSorted((a, b) => a - b))
  for (const d of sb.state.devices.values()) if (d.name.startsWith(prefix)) expect(d.dataBeforeConnect).toBe(0)
}

/** New data after the damaged start is stored and delivered too. */
async function stillWorks(sb: TestSandbox, folder: FaultFolder, prefix: string, from: number, output: () => string): Promise<void> {
  for (let n = from; n < from + 10; n++) expect((await post(folder.url, `${prefix}-1`, n)).status).toBe(200)
  await waitForArrivals(sb, prefix, range(from, from + 10), 10_000, output)
}

describe('damaged file storage at start', { timeout: 120_000 }, () => {
  it('a garbled line and a torn tail cost those two records only, reported with their count', async () => {
    const sb = await sandbox()
    const prefix = 'CF'
    // 4 segments of 12 records; the test reads each damaged record's n from the file
    const folder = await storeBacklog(sb, { type: 'file', data_folder_path: './data', max_records_per_file: 12 }, prefix, 48, 'SIGKILL', false)
    const dataDir = join(folder.dir, 'data')
    const segments = readdirSync(dataDir)
      .filter((f) => f.endsWith('.log'))
      .toSorted()
    expect(segments.length).toBeGreaterThanOrEqual(4)

    // garble one byte of line 10 of the second segment (its CRC no longer matches)
    const second = join(dataDir, segments[1]!)
    const lines = readFileSync(second, 'utf8').split('\n')
    const garbled = nOf(lines[10]!)
    lines[10] = lines[10]!.replace(/"n":(\d+)/, (_, d: string) => `"n":9${d}`) // out of the stored range
    writeFileSync(second, lines.join('\n'))
    // cut the last line of the newest segment in half (a write torn by a crash)
    const last = join(dataDir, segments.at(-1)!)
    const text = readFileSync(last, 'utf8')
    const lastLineStart = text.lastIndexOf('\n', text.length - 2) + 1
    const torn = nOf(text.slice(lastLineStart))
    truncateSync(last, lastLineStart + Math.floor((text.length - lastLineStart) / 2))

    await sb.start()
    const gw = await gatewayProcess(folder)
    const expected = range(0, 48).filter((n) => n !== garbled && n !== torn)
    await expectExactly(sb, prefix, expected, gw.output)
    const skipped = [...gw.output().matchAll(/skipped (\d+) corrupt record\(s\) in (\S+);/g)].map((m) => ({ count: Number(m[1]), file: m[2] }))
    expect(skipped).toEqual([
      { count: 1, file: second },
      { count: 1, file: last },
    ])
    await stillWorks(sb, folder, prefix, 1000, gw.output)
    report('corrupt file storage', { stored: 48, garbled, torn, delivered: expected.length, logged: skipped })
    expect(await gw.terminate()).toBe(0)
  })
})

describe('damaged sqlite storage at start', { timeout: 120_000 }, () => {
  const sqlite = { type: 'sqlite', data_file_path: './data/' }

  it('garbage after the last WAL frame (a torn write) is discarded: every committed record arrives, the tail is reported', async () => {
    const sb = await sandbox()
    const prefix = 'CW'
    const folder = await storeBacklog(sb, sqlite, prefix, 40, 'SIGKILL', false)
    const wal = join(folder.dir, 'data', 'data.db-wal')
    expect(statSync(wal).size).toBeGreaterThan(0)
    appendFileSync(wal, Buffer.alloc(1500, 0x5a))
    await sb.start()
    const gw = await gatewayProcess(folder)
    await expectExactly(sb, prefix, range(0, 40), gw.output)
    expect(gw.output()).toMatch(/data\.db-wal.*1500 byte\(s\)/)
    await stillWorks(sb, folder, prefix, 1000, gw.output)
    report('sqlite torn WAL tail', { stored: 40, delivered: 40, tailBytes: 1500 })
    expect(await gw.terminate()).toBe(0)
  })

  const STORED = 150 // about 10 pages of rows: the cut keeps some and loses some

  it('a truncated database file is moved aside; the records still readable in it arrive, the count of the rest is reported', async () => {
    const sb = await sandbox()
    const prefix = 'CT'
    const folder = await storeBacklog(sb, sqlite, prefix, STORED, 'SIGTERM', true) // closed: everything checkpointed into data.db
    const db = join(folder.dir, 'data', 'data.db')
    expect(existsSync(`${db}-wal`)).toBe(false)
    const size = statSync(db).size
    truncateSync(db, Math.floor((size * 0.6) / 4096) * 4096)
    await sb.start()
    const gw = await gatewayProcess(folder)
    const m = /recovered (\d+) record\(s\)/.exec(gw.output())
    expect(m, gw.output()).not.toBeNull()
    const recovered = Number(m![1])
    expect(recovered).toBeGreaterThan(0)
    expect(recovered).toBeLessThan(STORED)
    // rows live in id order in the table's pages: what survives a cut is the oldest part
    await expectExactly(sb, prefix, range(0, recovered), gw.output)
    expect(gw.output()).toMatch(new RegExp(`at most ${STORED - recovered} record\\(s\\)`))
    expect(readdirSync(join(folder.dir, 'data')).some((f) => f.startsWith('data.db.corrupt-'))).toBe(true)
    await stillWorks(sb, folder, prefix, 1000, gw.output)
    report('sqlite truncated database', { stored: STORED, recovered, delivered: recovered })
    expect(await gw.terminate()).toBe(0)
  })

  it('a database file that is not a database is moved aside and the gateway starts with an empty one', async () => {
    const sb = await sandbox()
    const prefix = 'CG'
    const folder = await configFolder(sb.port, sqlite)
    // a database overwritten with garbage (no first gateway needed: nothing of what it stored would remain)
    mkdirSync(join(folder.dir, 'data'))
    writeFileSync(join(folder.dir, 'data', 'data.db'), Buffer.alloc(8192, 0xa5))
    const gw = await gatewayProcess(folder)
    expect(gw.output()).toMatch(/data\.db.*(not a database|SQLITE_NOTADB).*moved it to .*data\.db\.corrupt-.*recovered 0 record\(s\)/)
    await stillWorks(sb, folder, prefix, 1000, gw.output)
    report('sqlite garbage database', { recovered: 0 })
    expect(await gw.terminate()).toBe(0)
  })
})
