/**
 * Checks what a converter returned before it reaches the sink (a converter handed in by the caller
 * is not normalised by `loadConverter`), and counts it for the 200 answer.
 */
import { nextTurn } from '@restgate/core'
import type { ConvertResult, DroppedDatapoint, UplinkRecord } from '@restgate/converters'

export interface RecordSummary {
  devices: number
  attributes: number
  telemetry: number
}

/** `Object.keys(o).length` without the array. */
function countKeys(o: object): number {
  let n = 0
  for (const k in o) if (Object.hasOwn(o, k)) n++
  return n
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Records (and dropped entries) handled in one go after a conversion: a longer list is counted,
 * checked and written into the answer this many at a time, with a turn of the event loop
 * (`nextTurn` of @restgate/core) between slices, so a big request never holds the others for a
 * whole pass over its records.
 */
export const RECORD_SLICE: number = 1024

interface Tally {
  attributes: number
  telemetry: number
  firstDevice: string | undefined
  names: Set<string> | undefined
}

/** Counts `records[from, to)` into `t`, or says what is wrong with them (`records[i].field: ...`). */
function tallyRange(records: readonly UplinkRecord[], from: number, to: number, t: Tally): string | undefined {
  for (let i = from; i < to; i++) {
    const r: unknown = records[i]
    if (!isPlainObject(r)) return `records[${i}] is not an object`
    if (typeof r.deviceName !== 'string' || r.deviceName === '') return `records[${i}].deviceName must be a non-empty string`
    if (typeof r.deviceType !== 'string') return `records[${i}].deviceType must be a string`
    if (!isPlainObject(r.attributes)) return `records[${i}].attributes must be an object`
    if (!Array.isArray(r.telemetry)) return `records[${i}].telemetry must be an array`
    t.attributes += countKeys(r.attributes)
    for (let j = 0; j < r.telemetry.length; j++) {
      const entry: unknown = r.telemetry[j]
      if (!isPlainObject(entry) || typeof entry.ts !== 'number' || !Number.isFinite(entry.ts) || !isPlainObject(entry.values)) {
        return `records[${i}].telemetry[${j}] must be { ts: number, values: object }`
      }
      t.telemetry += countKeys(entry.values)
    }
    if (t.firstDevice === undefined) t.firstDevice = r.deviceName
    else if (r.deviceName !== t.firstDevice) (t.names ??= new Set([t.firstDevice])).add(r.deviceName)
  }
  return undefined
}

function summaryOf(t: Tally): RecordSummary {
  return { devices: t.names ? t.names.size : t.firstDevice === undefined ? 0 : 1, attributes: t.attributes, telemetry: t.telemetry }
}

/**
 * Counts the records, or says what is wrong with them (`records[i].field: ...`). More than
 * {@link RECORD_SLICE} records are counted a slice per turn of the event loop (a promise).
 */
export function summariseRecords(records: readonly UplinkRecord[]): RecordSummary | string | Promise<RecordSummary | string> {
  const t: Tally = { attributes: 0, telemetry: 0, firstDevice: undefined, names: undefined }
  if (records.length > RECORD_SLICE) return summariseInSlices(records, t)
  return tallyRange(records, 0, records.length, t) ?? summaryOf(t)
}

async function summariseInSlices(records: readonly UplinkRecord[], t: Tally): Promise<RecordSummary | string> {
  for (let from = 0; from < records.length; from += RECORD_SLICE) {
    await nextTurn()
    const problem = tallyRange(records, from, Math.min(records.length, from + RECORD_SLICE), t)
    if (problem !== undefined) return problem
  }
  return summaryOf(t)
}

/** True when `result` has the ConvertResult shape (records array, optional dropped array). */
export function isConvertResult(result: unknown): result is ConvertResult {
  return isPlainObject(result) && Array.isArray(result.records) && (result.dropped === undefined || Array.isArray(result.dropped))
}

export interface DroppedEntry {
  path: string
  key: string | null
  reason: string
  index?: number
}

/**
 * The `dropped` and `warnings` lists of the 200 answer (`{ path, key, reason }`, + `index` for
 * array bodies) and the datapoints really lost (`lost`: the entries that are not warnings). More
 * than {@link RECORD_SLICE} entries are sorted a slice per turn of the event loop (a promise).
 */
export function droppedForResponse(
  dropped: readonly DroppedDatapoint[],
):
  | { dropped: DroppedEntry[]; warnings: DroppedEntry[]; lost: DroppedDatapoint[] }
  | Promise<{ dropped: DroppedEntry[]; warnings: DroppedEntry[]; lost: DroppedDatapoint[] }> {
  const out = { dropped: [] as DroppedEntry[], warnings: [] as DroppedEntry[], lost: [] as DroppedDatapoint[] }
  if (dropped.length > RECORD_SLICE) return droppedInSlices(dropped, out)
  droppedRange(dropped, 0, dropped.length, out)
  return out
}

async function droppedInSlices(
  dropped: readonly DroppedDatapoint[],
  out: { dropped: DroppedEntry[]; warnings: DroppedEntry[]; lost: DroppedDatapoint[] },
): Promise<{ dropped: DroppedEntry[]; warnings: DroppedEntry[]; lost: DroppedDatapoint[] }> {
  for (let from = 0; from < dropped.length; from += RECORD_SLICE) {
    await nextTurn()
    droppedRange(dropped, from, Math.min(dropped.length, from + RECORD_SLICE), out)
  }
  return out
}

function droppedRange(
  dropped: readonly DroppedDatapoint[],
  from: number,
  to: number,
  out: { dropped: DroppedEntry[]; warnings: DroppedEntry[]; lost: DroppedDatapoint[] },
): void {
  for (let i = from; i < to; i++) {
    const d = dropped[i] as DroppedDatapoint
    const entry: DroppedEntry = { path: String(d.path), key: d.key ?? null, reason: String(d.reason) }
    if (d.index !== undefined) entry.index = d.index
    if (d.warning === true) out.warnings.push(entry)
    else {
      out.dropped.push(entry)
      out.lost.push(d)
    }
  }
}

/** `JSON.stringify(list)`, a slice of {@link RECORD_SLICE} entries per turn of the event loop. */
export async function stringifyInSlices(list: readonly unknown[]): Promise<string> {
  const parts: string[] = []
  for (let from = 0; from < list.length; from += RECORD_SLICE) {
    await nextTurn()
    const text = JSON.stringify(list.slice(from, from + RECORD_SLICE))
    parts.push(text.slice(1, -1))
  }
  return `[${parts.join(',')}]`
}
