/**
 * Shape check of a record read back from a durable store. A line or row that passes the store's own
 * integrity check (CRC, JSON) may still not be a StoredRecord (hand-edited, written by another
 * version, hostile); such a record is skipped and reported, never handed to the outbox.
 */
import type { StoredRecord } from './types.ts'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Why `value` is not a StoredRecord (e.g. `deviceName: expected a string, got number`), or undefined when it is one. */
export function malformedReason(value: unknown): string | undefined {
  if (!isObject(value)) return `expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`
  const got = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)
  if (typeof value.deviceName !== 'string' || value.deviceName === '') return `deviceName: expected a non-empty string, got ${got(value.deviceName)}`
  if (typeof value.deviceType !== 'string') return `deviceType: expected a string, got ${got(value.deviceType)}`
  if (typeof value.receivedAt !== 'number' || !Number.isFinite(value.receivedAt)) return `receivedAt: expected a number, got ${got(value.receivedAt)}`
  if (value.connectorName !== undefined && typeof value.connectorName !== 'string') return `connectorName: expected a string, got ${got(value.connectorName)}`
  if (value.attributes !== undefined && !isObject(value.attributes)) return `attributes: expected an object, got ${got(value.attributes)}`
  const telemetry = value.telemetry
  if (telemetry !== undefined) {
    if (!Array.isArray(telemetry)) return `telemetry: expected an array, got ${got(telemetry)}`
    for (const [i, entry] of telemetry.entries()) {
      if (!isObject(entry)) return `telemetry[${i}]: expected an object, got ${got(entry)}`
      if (typeof entry.ts !== 'number' || !Number.isFinite(entry.ts)) return `telemetry[${i}].ts: expected a number, got ${got(entry.ts)}`
      if (!isObject(entry.values)) return `telemetry[${i}].values: expected an object, got ${got(entry.values)}`
    }
  }
  return undefined
}

/** `value` as a StoredRecord, or the reason it is not one. */
export function checkStoredRecord(value: unknown): { record: StoredRecord } | { malformed: string } {
  const reason = malformedReason(value)
  return reason === undefined ? { record: value as StoredRecord } : { malformed: reason }
}
