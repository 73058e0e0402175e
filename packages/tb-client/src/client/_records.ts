/** Cheap shape checks of `send()` input and conversion to stored records. */
import { TbClientError } from '../errors.ts'
import type { StoredRecord } from '../storage/types.ts'
import type { UplinkRecordInput } from './types.ts'

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)

const invalid = (path: string, message: string): TbClientError => new TbClientError('INVALID_RECORD', `${path}: ${message}`)

/** Validates and converts; records with neither attributes nor telemetry are left out (nothing to send). */
export function toStoredRecords(records: readonly UplinkRecordInput[], connectorName: string | undefined, receivedAt: number): StoredRecord[] {
  if (!Array.isArray(records)) throw invalid('records', 'expected an array')
  const out: StoredRecord[] = []
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as unknown
    const path = `records[${i}]`
    if (!isPlainObject(r)) throw invalid(path, 'expected an object')
    const { deviceName, deviceType, attributes, telemetry } = r as Partial<UplinkRecordInput>
    if (typeof deviceName !== 'string' || deviceName === '') throw invalid(`${path}.deviceName`, 'expected a non-empty string')
    if (deviceType !== undefined && typeof deviceType !== 'string') throw invalid(`${path}.deviceType`, 'expected a string')
    if (attributes !== undefined && !isPlainObject(attributes)) throw invalid(`${path}.attributes`, 'expected an object')
    if (telemetry !== undefined && !Array.isArray(telemetry)) throw invalid(`${path}.telemetry`, 'expected an array')
    const entries: Array<{ ts: number; values: Record<string, unknown> }> = []
    for (let j = 0; j < (telemetry?.length ?? 0); j++) {
      const e = (telemetry as unknown[])[j]
      if (!isPlainObject(e)) throw invalid(`${path}.telemetry[${j}]`, 'expected {ts, values}')
      if (typeof e['ts'] !== 'number' || !Number.isFinite(e['ts'])) throw invalid(`${path}.telemetry[${j}].ts`, 'expected a finite number')
      if (!isPlainObject(e['values'])) throw invalid(`${path}.telemetry[${j}].values`, 'expected an object')
      if (Object.keys(e['values']).length > 0) entries.push({ ts: e['ts'], values: e['values'] })
    }
    const hasAttributes = attributes !== undefined && Object.keys(attributes).length > 0
    if (!hasAttributes && entries.length === 0) continue
    const stored: StoredRecord = { deviceName, deviceType: deviceType === undefined || deviceType === '' ? 'default' : deviceType, receivedAt }
    if (hasAttributes) stored.attributes = attributes
    if (entries.length > 0) stored.telemetry = entries
    if (connectorName !== undefined) stored.connectorName = connectorName
    out.push(stored)
  }
  return out
}
