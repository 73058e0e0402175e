/**
 * Checks what a converter returned before it reaches the sink (a converter handed in by the caller
 * is not normalised by `loadConverter`), and counts it for the 200 answer.
 */
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

/** Counts the records, or says what is wrong with them (`records[i].field: ...`). */
export function summariseRecords(records: readonly UplinkRecord[]): RecordSummary | string {
  let attributes = 0
  let telemetry = 0
  let firstDevice: string | undefined
  let names: Set<string> | undefined
  for (let i = 0; i < records.length; i++) {
    const r: unknown = records[i]
    if (!isPlainObject(r)) return `records[${i}] is not an object`
    if (typeof r.deviceName !== 'string' || r.deviceName === '') return `records[${i}].deviceName must be a non-empty string`
    if (typeof r.deviceType !== 'string') return `records[${i}].deviceType must be a string`
    if (!isPlainObject(r.attributes)) return `records[${i}].attributes must be an object`
    if (!Array.isArray(r.telemetry)) return `records[${i}].telemetry must be an array`
    attributes += countKeys(r.attributes)
    for (let j = 0; j < r.telemetry.length; j++) {
      const entry: unknown = r.telemetry[j]
      if (!isPlainObject(entry) || typeof entry.ts !== 'number' || !Number.isFinite(entry.ts) || !isPlainObject(entry.values)) {
        return `records[${i}].telemetry[${j}] must be { ts: number, values: object }`
      }
      telemetry += countKeys(entry.values)
    }
    if (firstDevice === undefined) firstDevice = r.deviceName
    else if (r.deviceName !== firstDevice) (names ??= new Set([firstDevice])).add(r.deviceName)
  }
  return { devices: names ? names.size : firstDevice === undefined ? 0 : 1, attributes, telemetry }
}

/** True when `result` has the ConvertResult shape (records array, optional dropped array). */
export function isConvertResult(result: unknown): result is ConvertResult {
  return isPlainObject(result) && Array.isArray(result.records) && (result.dropped === undefined || Array.isArray(result.dropped))
}

/** The `dropped` list of the 200 answer: `{ path, key, reason }` (+ `index` for array bodies). */
export function droppedForResponse(dropped: readonly DroppedDatapoint[] | undefined): {
  dropped: Array<{ path: string; key: string | null; reason: string; index?: number }>
  warnings: Array<{ path: string; key: string | null; reason: string; index?: number }>
} {
  const out: Array<{ path: string; key: string | null; reason: string; index?: number }> = []
  const warnings: Array<{ path: string; key: string | null; reason: string; index?: number }> = []
  if (!dropped) return { dropped: out, warnings }
  for (const d of dropped) {
    const entry: { path: string; key: string | null; reason: string; index?: number } = {
      path: String(d.path),
      key: d.key ?? null,
      reason: String(d.reason),
    }
    if (d.index !== undefined) entry.index = d.index
    ;(d.warning ? warnings : out).push(entry)
  }
  return { dropped: out, warnings }
}
