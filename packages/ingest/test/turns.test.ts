/**
 * Issue 11: a big body must never hold the other requests for a whole pass over it. These tests
 * count turns of the event loop (a setImmediate that re-arms itself ticks once per loop iteration)
 * and what each turn touched, through the real HTTP server: no wall clock anywhere. A whole-body
 * pass anywhere on the way (the parse, the checks of the records, the dropped list, the answer)
 * shows as one turn that touched every element.
 */
import type { MappingConfig } from '@restgate/config'
import type { ConvertResult, DroppedDatapoint, UplinkConverter, UplinkRecord } from '@restgate/converters'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { createIngestServer, type IngestServer } from '../src/index.ts'
import { RECORD_SLICE } from '../src/_records.ts'
import { SLICE_CHARS } from '../src/_parse.ts'
import { mapping, memoryLogger, recordingSink, type RecordingSink, restConfig } from './helpers.ts'

/** Counts loop iterations; `touched(key)` notes that something was touched in the current one. */
function turnMeter() {
  let turn = 0
  let running = true
  const perTurn = new Map<number, Set<unknown>>()
  const tick = (): void => {
    turn++
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  return {
    now: () => turn,
    touched(key: unknown): void {
      let set = perTurn.get(turn)
      if (set === undefined) perTurn.set(turn, (set = new Set()))
      set.add(key)
    },
    /** The most distinct keys one turn touched, and in how many turns anything was touched. */
    most(): { max: number; turns: number } {
      let max = 0
      for (const set of perTurn.values()) max = Math.max(max, set.size)
      return { max, turns: perTurn.size }
    },
    stop(): void {
      running = false
    },
  }
}

let server: IngestServer | undefined
afterEach(async () => {
  vi.restoreAllMocks()
  await server?.close()
  server = undefined
})

const json = { 'content-type': 'application/json' }

async function start(mappings: MappingConfig[], sink: RecordingSink, converters?: Map<MappingConfig, UplinkConverter>): Promise<string> {
  server = createIngestServer({
    config: restConfig({ server: { bodyLimit: 4 * 1024 * 1024, maxArrayElements: 100_000, maxJsonKeys: 1_000_000 }, mapping: mappings }),
    sink,
    logger: memoryLogger(),
    converters,
  })
  return (await server.listen()).url
}

describe('a big body is handled a slice per turn of the event loop', () => {
  test('a 20 000-element JSON array: parsed in slices (never the whole text at once), all 20 000 records stored in order', async () => {
    const sink = recordingSink()
    const url = await start([mapping({ endpoint: '/bulk', deviceName: '${name}', timeseries: [{ key: 'i', value: '${i}', type: 'int' }] })], sink)
    const n = 20_000
    // strings with the scanner's special characters, so slice cuts and scan windows meet them
    const body = JSON.stringify(Array.from({ length: n }, (_, i) => ({ name: `D${i % 50}`, i, note: `a,b]"{[\\${i}` })))
    const meter = turnMeter()
    const parses: Array<{ turn: number; chars: number }> = []
    const parse = JSON.parse
    vi.spyOn(JSON, 'parse').mockImplementation((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
      parses.push({ turn: meter.now(), chars: text.length })
      return parse(text, reviver)
    })
    const res = await fetch(`${url}/bulk`, { method: 'POST', headers: json, body })
    const answer = (await res.json()) as Record<string, unknown>
    meter.stop()
    vi.restoreAllMocks()
    expect(res.status).toBe(200)
    expect(answer).toMatchObject({ status: 'ok', devices: 50, telemetry: n, dropped: [] })
    const records = sink.records()
    expect(records.map((r) => r.telemetry[0]?.values.i)).toEqual(Array.from({ length: n }, (_, i) => i))
    // the body's parse: many slices, none near the whole text, each in a turn of its own
    const big = parses.filter((p) => p.chars > 100)
    expect(big.length).toBeGreaterThanOrEqual(Math.floor(body.length / SLICE_CHARS))
    expect(Math.max(...big.map((p) => p.chars))).toBeLessThanOrEqual(SLICE_CHARS + 200)
    expect(new Set(big.map((p) => p.turn)).size).toBe(big.length)
  })

  test('20 000 records and 5 000 dropped datapoints from a converter: checked, counted and answered a slice per turn; a small request is answered meanwhile', async () => {
    const sink = recordingSink()
    const meter = turnMeter()
    const n = 20_000
    const lost = 5_000
    /** A record whose deviceName notes which turn read it. */
    const record = (i: number): UplinkRecord => {
      const r = { deviceType: 'default', attributes: {}, telemetry: [{ ts: 1, values: { i } }] } as unknown as UplinkRecord
      Object.defineProperty(r, 'deviceName', { enumerable: true, get: () => (meter.touched(r), `D${i % 7}`) })
      return r
    }
    const droppedEntry = (i: number): DroppedDatapoint => {
      const d = { path: 'mapping[0].converter.timeseries[0].value', key: 'x', index: i } as DroppedDatapoint
      Object.defineProperty(d, 'reason', { enumerable: true, get: () => (meter.touched(d), `missing \${x${i}}`) })
      return d
    }
    const big = mapping({ endpoint: '/big', deviceName: 'unused', timeseries: [{ key: 'x', value: '${x}' }] }, 0)
    const small = mapping({ endpoint: '/small', deviceName: '${name}', timeseries: [{ key: 'v', value: '${v}' }] }, 1)
    let smallAnswered = false
    let smallDuring: Promise<number> | undefined
    const converter: UplinkConverter = {
      convert(): ConvertResult {
        // while the big request goes on, a small one arrives (sent from here: events, no clock)
        smallDuring = fetch(`${url}/small`, { method: 'POST', headers: json, body: '{"name":"S","v":1}' }).then(async (r) => {
          await r.text()
          smallAnswered = true
          return r.status
        })
        return { records: Array.from({ length: n }, (_, i) => record(i)), dropped: Array.from({ length: lost }, (_, i) => droppedEntry(i)) }
      },
    }
    const url = await start([big, small], sink, new Map([[big, converter]]))
    const res = await fetch(`${url}/big`, { method: 'POST', headers: json, body: '{}' })
    const smallFirst = smallAnswered
    const answer = (await res.json()) as { telemetry: number; devices: number; dropped: unknown[] }
    meter.stop()
    expect(res.status).toBe(200)
    expect(answer.telemetry).toBe(n)
    expect(answer.devices).toBe(7)
    expect(answer.dropped).toHaveLength(lost)
    expect(answer.dropped[lost - 1]).toEqual({
      path: 'mapping[0].converter.timeseries[0].value',
      key: 'x',
      reason: `missing \${x${lost - 1}}`,
      index: lost - 1,
    })
    expect(await smallDuring).toBe(200)
    // the small request did not wait for the big one's passes over its records
    expect(smallFirst).toBe(true)
    // every record and dropped entry was read, never more than a slice of them in one turn
    const { max, turns } = meter.most()
    expect(max).toBeLessThanOrEqual(RECORD_SLICE + 1)
    expect(turns).toBeGreaterThanOrEqual(Math.ceil(n / RECORD_SLICE) + Math.ceil(lost / RECORD_SLICE))
    expect(sink.records().filter((r) => r.deviceType === 'default')).toHaveLength(n + 1)
  })
})
