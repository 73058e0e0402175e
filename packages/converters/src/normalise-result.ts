import { nextTurn } from '@restgate/core'
import { describeValue } from './cast.ts'
import { ConverterError } from './errors.ts'
import type { ConvertResult, CustomUplinkConverter, DroppedDatapoint, RequestInfo, TelemetryEntry, UplinkConverter, UplinkRecord } from './types.ts'

const RECORD_KEYS = new Set(['deviceName', 'deviceType', 'attributes', 'telemetry'])

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'an array'
  if (ArrayBuffer.isView(value)) return 'binary data'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'function') return 'a function'
  return `${typeof value} ${describeValue(value)}`
}

function invalid(label: string, what: string): ConverterError {
  return new ConverterError('CONVERTER_RESULT', `${label} returned an invalid result: ${what}`)
}

/** Why a datapoint value cannot be sent as JSON, or undefined when it can. */
function valueProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value) ? undefined : `is ${value}, not a finite number`
    case 'object':
      if (value === null) return 'is null'
      if (ArrayBuffer.isView(value)) return 'is binary data, not a JSON value (encode it, e.g. as base64 text)'
      return undefined
    default:
      return `is ${typeof value}, not a JSON value`
  }
}

function checkValues(values: unknown, at: string, label: string): Record<string, unknown> {
  if (!isPlainObject(values)) throw invalid(label, `${at} must be an object of key → value, got ${kindOf(values)}`)
  for (const [key, value] of Object.entries(values)) {
    const problem = valueProblem(value)
    if (problem !== undefined) throw invalid(label, `${at}[${JSON.stringify(key)}] ${problem}`)
  }
  return values
}

function checkTelemetry(telemetry: unknown, at: string, label: string, receivedAt: number): TelemetryEntry[] {
  if (telemetry === undefined || telemetry === null) return []
  if (!Array.isArray(telemetry)) throw invalid(label, `${at} must be an array of { ts, values }, got ${kindOf(telemetry)}`)
  const byTs = new Map<number, Record<string, unknown>>()
  telemetry.forEach((entry: unknown, i) => {
    if (!isPlainObject(entry)) throw invalid(label, `${at}[${i}] must be an object { ts, values }, got ${kindOf(entry)}`)
    const ts = entry.ts === undefined || entry.ts === null ? receivedAt : entry.ts
    if (typeof ts !== 'number' || !Number.isFinite(ts)) throw invalid(label, `${at}[${i}].ts must be a number (epoch milliseconds), got ${kindOf(ts)}`)
    const values = checkValues(entry.values, `${at}[${i}].values`, label)
    if (Object.keys(values).length === 0) return
    byTs.set(ts, { ...byTs.get(ts), ...values })
  })
  return [...byTs.entries()].toSorted((a, b) => a[0] - b[0]).map(([ts, values]) => ({ ts, values }))
}

function checkRecord(record: unknown, at: string, label: string, receivedAt: number): UplinkRecord {
  if (!isPlainObject(record)) throw invalid(label, `${at} must be a record { deviceName, deviceType?, attributes?, telemetry? }, got ${kindOf(record)}`)
  for (const key of Object.keys(record)) {
    if (!RECORD_KEYS.has(key))
      throw invalid(label, `${at} has an unknown key ${JSON.stringify(key)} (a record has deviceName, deviceType, attributes, telemetry)`)
  }
  const { deviceName, deviceType } = record
  if (typeof deviceName !== 'string' || deviceName.trim() === '') {
    throw invalid(label, `${at}.deviceName must be a non-empty string, got ${kindOf(deviceName)}`)
  }
  if (deviceType !== undefined && deviceType !== null && typeof deviceType !== 'string') {
    throw invalid(label, `${at}.deviceType must be a string, got ${kindOf(deviceType)}`)
  }
  const attributes = record.attributes === undefined || record.attributes === null ? {} : checkValues(record.attributes, `${at}.attributes`, label)
  return {
    deviceName,
    deviceType: typeof deviceType === 'string' && deviceType.trim() !== '' ? deviceType : 'default',
    attributes: { ...attributes },
    telemetry: checkTelemetry(record.telemetry, `${at}.telemetry`, label, receivedAt),
  }
}

function checkDropped(dropped: unknown, label: string): DroppedDatapoint[] {
  if (dropped === undefined || dropped === null) return []
  if (!Array.isArray(dropped)) throw invalid(label, `dropped must be an array, got ${kindOf(dropped)}`)
  return dropped.map((entry: unknown, i) => {
    if (!isPlainObject(entry) || typeof entry.path !== 'string' || typeof entry.reason !== 'string') {
      throw invalid(label, `dropped[${i}] must be an object { path: string, reason: string }`)
    }
    return { ...entry } as unknown as DroppedDatapoint
  })
}

/**
 * Validates what a custom converter returned — one record, a list of records, or a ConvertResult —
 * and normalises it to a ConvertResult: `deviceType` defaults to `'default'`, telemetry entries
 * without `ts` get `request.receivedAt`, entries with the same ts are merged, and records without
 * attributes and telemetry are left out.
 *
 * @param label names the converter in error messages, e.g. `custom converter "X" (mapping[1].converter)`.
 * @throws {ConverterError} `CONVERTER_RESULT` saying what was wrong.
 */
export function normaliseResult(output: unknown, request: RequestInfo, label = 'the converter'): ConvertResult {
  let list: unknown[]
  let single = false
  let dropped: DroppedDatapoint[] = []
  if (Array.isArray(output)) list = output
  else if (isPlainObject(output) && 'records' in output) {
    if (!Array.isArray(output.records)) throw invalid(label, `records must be an array, got ${kindOf(output.records)}`)
    list = output.records
    dropped = checkDropped(output.dropped, label)
  } else if (isPlainObject(output) && 'deviceName' in output) {
    list = [output]
    single = true
  } else throw invalid(label, `expected a record { deviceName, ... }, an array of records or { records, dropped }, got ${kindOf(output)}`)
  const records: UplinkRecord[] = []
  checkRange(list, 0, list.length, single, label, request.receivedAt, records)
  return { records, dropped }
}

function checkRange(list: readonly unknown[], from: number, to: number, single: boolean, label: string, receivedAt: number, records: UplinkRecord[]): void {
  for (let i = from; i < to; i++) {
    const record = checkRecord(list[i], single ? 'record' : `records[${i}]`, label, receivedAt)
    if (Object.keys(record.attributes).length > 0 || record.telemetry.length > 0) records.push(record)
  }
}

/** Records of a custom converter's result checked in one go; a longer list is checked a slice per turn of the event loop. */
export const NORMALISE_SLICE: number = 512

/** The records of `output` when it is a list longer than {@link NORMALISE_SLICE}, else undefined. */
function longList(output: unknown): unknown[] | undefined {
  const list = Array.isArray(output) ? output : isPlainObject(output) && Array.isArray(output.records) ? output.records : undefined
  return list !== undefined && list.length > NORMALISE_SLICE ? list : undefined
}

/** {@link normaliseResult} of a long list: {@link NORMALISE_SLICE} records per turn of the event loop (`nextTurn` of @restgate/core). */
async function normaliseInSlices(output: unknown, list: unknown[], request: RequestInfo, label: string): Promise<ConvertResult> {
  const dropped = Array.isArray(output) ? [] : checkDropped((output as Record<string, unknown>).dropped, label)
  const records: UplinkRecord[] = []
  for (let from = 0; from < list.length; from += NORMALISE_SLICE) {
    await nextTurn()
    checkRange(list, from, Math.min(list.length, from + NORMALISE_SLICE), false, label, request.receivedAt, records)
  }
  return { records, dropped }
}

function normalise(output: unknown, request: RequestInfo, label: string): ConvertResult | Promise<ConvertResult> {
  const list = longList(output)
  return list === undefined ? normaliseResult(output, request, label) : normaliseInSlices(output, list, request, label)
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

function failure(e: unknown, label: string): unknown {
  if (ConverterError.is(e)) return e
  const why = e instanceof Error ? e.message : String(e)
  return new ConverterError('CONVERTER_FAILED', `${label} failed: ${why}`, { cause: e })
}

/**
 * Wraps a custom converter so that it behaves as an {@link UplinkConverter}: results are validated
 * and normalised (`normaliseResult`; a list of more than {@link NORMALISE_SLICE} records a slice per
 * turn of the event loop, so `convert` then returns a promise), a sync converter's short result stays sync, and an exception that is not a
 * ConverterError becomes ConverterError `CONVERTER_FAILED` (the original is the `cause`).
 */
export function toUplinkConverter(converter: CustomUplinkConverter, label = 'the converter'): UplinkConverter {
  return {
    convert(data: unknown, request: RequestInfo): ConvertResult | Promise<ConvertResult> {
      let output: unknown
      try {
        output = converter.convert(data, request)
      } catch (e) {
        throw failure(e, label)
      }
      if (!isThenable(output)) return normalise(output, request, label)
      return Promise.resolve(output).then(
        (resolved) => normalise(resolved, request, label),
        (e: unknown) => {
          throw failure(e, label)
        },
      )
    },
  }
}
