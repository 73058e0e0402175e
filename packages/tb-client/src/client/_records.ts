/** Cheap shape checks of `send()` input and conversion to stored records. */
import { nextTurn } from '@restgate/core'
import { TbClientError } from '../errors.ts'
import type { StoredRecord } from '@restgate/storage'
import type { UplinkRecordInput } from './types.ts'

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)

const invalid = (path: string, message: string): TbClientError => new TbClientError('INVALID_RECORD', `${path}: ${message}`)

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true
  return false
}

type Entries = Array<{ ts: number; values: Record<string, unknown> }>

/**
 * Records checked and converted in one go by `send()`: a longer batch is converted this many at a
 * time with a turn of the event loop between slices (see `toStoredRecordsInTurns`).
 */
export const SEND_SLICE_RECORDS: number = 512

/** Validates and converts; records with neither attributes nor telemetry are left out (nothing to send). */
export function toStoredRecords(records: readonly UplinkRecordInput[], connectorName: string | undefined, receivedAt: number): StoredRecord[] {
  if (!Array.isArray(records)) throw invalid('records', 'expected an array')
  const out: StoredRecord[] = []
  convertRange(records, 0, records.length, connectorName, receivedAt, out)
  return out
}

/**
 * `toStoredRecords` for a long batch: {@link SEND_SLICE_RECORDS} records per turn of the event loop
 * (`nextTurn` of @restgate/core), so a 30 000-record request never holds other requests for a whole
 * pass. Nothing is stored before every record passed (the caller stores the result in one `put`).
 */
export async function toStoredRecordsInTurns(
  records: readonly UplinkRecordInput[],
  connectorName: string | undefined,
  receivedAt: number,
): Promise<StoredRecord[]> {
  if (!Array.isArray(records)) throw invalid('records', 'expected an array')
  const out: StoredRecord[] = []
  for (let from = 0; from < records.length; from += SEND_SLICE_RECORDS) {
    await nextTurn()
    convertRange(records, from, Math.min(records.length, from + SEND_SLICE_RECORDS), connectorName, receivedAt, out)
  }
  return out
}

function convertRange(
  records: readonly UplinkRecordInput[],
  from: number,
  to: number,
  connectorName: string | undefined,
  receivedAt: number,
  out: StoredRecord[],
): void {
  for (let i = from; i < to; i++) {
    const r = records[i] as unknown
    const path = `records[${i}]`
    if (!isPlainObject(r)) throw invalid(path, 'expected an object')
    const { deviceName, deviceType, attributes, telemetry } = r as Partial<UplinkRecordInput>
    if (typeof deviceName !== 'string' || deviceName === '') throw invalid(`${path}.deviceName`, 'expected a non-empty string')
    if (deviceType !== undefined && typeof deviceType !== 'string') throw invalid(`${path}.deviceType`, 'expected a string')
    if (attributes !== undefined && !isPlainObject(attributes)) throw invalid(`${path}.attributes`, 'expected an object')
    if (telemetry !== undefined && !Array.isArray(telemetry)) throw invalid(`${path}.telemetry`, 'expected an array')
    // entries without values are left out; when none is (the usual case) the array is kept, not copied
    const count = telemetry?.length ?? 0
    let entries: Entries | undefined
    for (let j = 0; j < count; j++) {
      const e = (telemetry as unknown[])[j]
      if (!isPlainObject(e)) throw invalid(`${path}.telemetry[${j}]`, 'expected {ts, values}')
      if (typeof e['ts'] !== 'number' || !Number.isFinite(e['ts'])) throw invalid(`${path}.telemetry[${j}].ts`, 'expected a finite number')
      if (!isPlainObject(e['values'])) throw invalid(`${path}.telemetry[${j}].values`, 'expected an object')
      const keep = hasKeys(e['values'])
      if (!keep && entries === undefined) entries = (telemetry as Entries).slice(0, j)
      else if (keep && entries !== undefined) entries.push({ ts: e['ts'], values: e['values'] })
    }
    entries ??= count > 0 ? (telemetry as Entries) : []
    const hasAttributes = attributes !== undefined && hasKeys(attributes)
    if (!hasAttributes && entries.length === 0) continue
    const stored: StoredRecord = { deviceName, deviceType: deviceType === undefined || deviceType === '' ? 'default' : deviceType, receivedAt }
    if (hasAttributes) stored.attributes = attributes
    if (entries.length > 0) stored.telemetry = entries
    if (connectorName !== undefined) stored.connectorName = connectorName
    out.push(stored)
  }
}
