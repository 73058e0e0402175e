/**
 * Issue 11's storage findings through the real gateway process (`file` storage):
 * - a stored line that passes its CRC check but holds a malformed record (wrong field types) used to
 *   make every start exit 1 (`ERR_INVALID_ARG_TYPE`) and strand everything stored after it; now the
 *   gateway starts, reports the record (WARN naming its id and why) and delivers the rest;
 * - a stored id of Number.MAX_SAFE_INTEGER used to make new ids collide (requests answered 200 were
 *   lost); now every record stored before and after it arrives.
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { configFolder, type FaultFolder, gatewayProcess, sandbox, type TestSandbox } from './_faults.ts'
import { arrivals, post, report, sleep, waitForArrivals } from './_traffic.ts'

const fileStorage = { type: 'file', data_folder_path: './data', max_records_per_file: 12 }
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)
/** One segment line as the file backend writes it: `<crc32 hex> <id> <json>`. */
const line = (id: number, json: string): string => `${crc32(`${id} ${json}`).toString(16).padStart(8, '0')} ${id} ${json}\n`

/** Stores `count` messages with ThingsBoard down, then stops the gateway (SIGTERM: everything closed). */
async function storeBacklog(sb: TestSandbox, prefix: string, count: number): Promise<FaultFolder> {
  await sb.stop()
  const folder = await configFolder(sb.port, fileStorage)
  const gw = await gatewayProcess(folder)
  for (let n = 0; n < count; n++) expect((await post(folder.url, `${prefix}-0`, n)).status, `store #${n}`).toBe(200)
  expect(await gw.terminate()).toBe(0)
  return folder
}

function segments(folder: FaultFolder): string[] {
  const dir = join(folder.dir, 'data')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .toSorted()
    .map((f) => join(dir, f))
}

async function expectExactly(sb: TestSandbox, prefix: string, expected: readonly number[], output: () => string): Promise<void> {
  await waitForArrivals(sb, prefix, expected, 15_000, output)
  await sleep(300)
  expect([...arrivals(sb, prefix).keys()].toSorted((a, b) => a - b)).toEqual([...expected].toSorted((a, b) => a - b))
}

describe('file storage holding what it never wrote', { timeout: 120_000 }, () => {
  it('a CRC-valid line with a malformed record: the gateway starts, reports it (WARN) and delivers every other record', async () => {
    const sb = await sandbox()
    const prefix = 'MF'
    const folder = await storeBacklog(sb, prefix, 24) // 2 segments: records after the broken one in its segment and in the next
    // line 10 of the first segment: same id, valid CRC, but no deviceName (before: ERR_INVALID_ARG_TYPE
    // when the pump sized the device key, exit 1 on every start) and telemetry a string
    const first = segments(folder)[0] as string
    const lines = readFileSync(first, 'utf8').split('\n')
    const [, idText, json] = /^[0-9a-f]{8} (\d+) (.*)$/.exec(lines[10] as string) ?? []
    const broken = Number(/"n":(\d+)/.exec(json ?? '')?.[1])
    lines[10] = line(Number(idText), JSON.stringify({ deviceType: 'default', telemetry: 'x', receivedAt: Date.now() })).trimEnd()
    writeFileSync(first, lines.join('\n'))

    await sb.start()
    const gw = await gatewayProcess(folder) // before the fix: exit 1 on every start
    await expectExactly(
      sb,
      prefix,
      range(0, 24).filter((n) => n !== broken),
      gw.output,
    )
    expect(gw.output()).toMatch(new RegExp(`WARN.*skipped malformed record ${idText} in \\S+ \\(deviceName: expected a non-empty string, got undefined\\)`))
    for (let n = 100; n < 110; n++) expect((await post(folder.url, `${prefix}-1`, n)).status).toBe(200)
    await waitForArrivals(sb, prefix, range(100, 110), 10_000, gw.output)
    report('malformed file record', { stored: 24, malformed: 1, delivered: 23 })
    expect(await gw.terminate()).toBe(0)
  }, 120_000)

  it('a stored id of Number.MAX_SAFE_INTEGER: new ids never collide, every record answered 200 arrives', async () => {
    const sb = await sandbox()
    const prefix = 'MI'
    const folder = await storeBacklog(sb, prefix, 5)
    const record = { deviceName: `${prefix}-0`, deviceType: 'default', telemetry: [{ ts: Date.now(), values: { n: 5 } }], receivedAt: Date.now() }
    appendFileSync(segments(folder).at(-1) as string, line(Number.MAX_SAFE_INTEGER, JSON.stringify(record)))

    const gw = await gatewayProcess(folder)
    expect(gw.output()).toMatch(/renumbering 6 un-acked record\(s\)/)
    for (let n = 6; n < 26; n++) expect((await post(folder.url, `${prefix}-0`, n)).status).toBe(200)
    await sb.start()
    await expectExactly(sb, prefix, range(0, 26), gw.output)
    report('MAX_SAFE_INTEGER id', { stored: 26, delivered: arrivals(sb, prefix).size })
    expect(await gw.terminate()).toBe(0)
  }, 120_000)
})
