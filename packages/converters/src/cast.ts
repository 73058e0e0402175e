import type { ValueType } from '@restgate/config'
import { parseDecimal } from './_decimal.ts'

/** The outcome of casting one value: the typed value, or why it cannot be cast. */
export type CastResult = { ok: true; value: unknown } | { ok: false; reason: string }

/** A short, safe rendering of a value for error messages (never a whole payload). */
export function describeValue(value: unknown): string {
  let text: string
  if (typeof value === 'string') text = JSON.stringify(value)
  else if (typeof value === 'object' && value !== null) text = Array.isArray(value) ? 'an array' : 'an object'
  else text = String(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

function fail(value: unknown, type: ValueType, why?: string): CastResult {
  return { ok: false, reason: `cannot cast ${describeValue(value)} to ${type}${why === undefined ? '' : `: ${why}`}` }
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value
  return typeof value === 'string' ? parseDecimal(value) : undefined
}

function castDouble(value: unknown): CastResult {
  const n = toNumber(value)
  if (n === undefined) return fail(value, 'double')
  if (!Number.isFinite(n)) return fail(value, 'double', 'not a finite number')
  return { ok: true, value: n }
}

function castInt(value: unknown): CastResult {
  const n = toNumber(value)
  if (n === undefined) return fail(value, 'int')
  if (!Number.isFinite(n)) return fail(value, 'int', 'not a finite number')
  if (!Number.isInteger(n)) return fail(value, 'int', 'fractional value')
  if (!Number.isSafeInteger(n)) return fail(value, 'int', 'outside the exactly representable range ±2^53')
  return { ok: true, value: n === 0 ? 0 : n } // no -0
}

function castBool(value: unknown): CastResult {
  if (typeof value === 'boolean') return { ok: true, value }
  if (value === 1 || value === 0) return { ok: true, value: value === 1 }
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase()
    if (text === 'true' || text === '1') return { ok: true, value: true }
    if (text === 'false' || text === '0') return { ok: true, value: false }
  }
  return fail(value, 'bool')
}

/** Deepest nesting of a `json` value (or an object sent as JSON text); the value itself is level 1. */
export const MAX_JSON_VALUE_DEPTH = 64

/**
 * Why `value` cannot be sent as JSON as it is, or `undefined`: a number JSON cannot hold (`1e400`
 * parses to Infinity and would reach ThingsBoard as `null`), or nesting deeper than
 * {@link MAX_JSON_VALUE_DEPTH}. Iterative: no recursion, whatever the depth.
 */
function unsendable(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'not a finite number'
  if (typeof value !== 'object' || value === null) return undefined
  const stack: Array<{ v: object; depth: number }> = [{ v: value, depth: 1 }]
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: object; depth: number }
    if (depth > MAX_JSON_VALUE_DEPTH) return `nested deeper than ${MAX_JSON_VALUE_DEPTH} levels`
    const items: unknown[] = Array.isArray(v) ? v : Object.values(v)
    for (const item of items) {
      if (typeof item === 'number') {
        if (!Number.isFinite(item)) return 'holds a number that is not finite'
      } else if (typeof item === 'object' && item !== null) stack.push({ v: item, depth: depth + 1 })
    }
  }
  return undefined
}

function castString(value: unknown): CastResult {
  switch (typeof value) {
    case 'string':
      return { ok: true, value }
    case 'number':
    case 'boolean':
      return { ok: true, value: String(value) }
    case 'object': {
      if (value === null) return fail(value, 'string')
      const why = unsendable(value)
      if (why !== undefined) return fail(value, 'string', why)
      try {
        const json = JSON.stringify(value)
        if (json !== undefined) return { ok: true, value: json }
      } catch {
        // cycles or BigInt inside: not sendable
      }
      return fail(value, 'string', 'not serialisable as JSON')
    }
    default:
      return fail(value, 'string')
  }
}

function castJson(value: unknown, fromText: boolean): CastResult {
  if (fromText && typeof value === 'string') {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch {
      return { ok: true, value } // text that is not JSON is sent as a JSON string
    }
    const why = unsendable(parsed)
    return why === undefined ? { ok: true, value: parsed } : fail(value, 'json', why)
  }
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    return fail(value, 'json')
  }
  const why = unsendable(value)
  return why === undefined ? { ok: true, value } : fail(value, 'json', why)
}

/**
 * Casts a datapoint value to its configured type.
 * - `string`: strings as-is, numbers and booleans as text, objects and arrays as JSON text.
 * - `double`: a finite number, or a decimal numeric string (`" 12.5 "`, `"1e3"`).
 * - `int`: an integer or integer-valued string; a fractional value is an error, not a truncation.
 * - `bool`: `true`/`false`, `"true"`/`"false"` in any case, `1`/`0`, `"1"`/`"0"`.
 * - `json`: the value as is; with `fromText` (a constant or a template with literal text), text
 *   that parses as JSON becomes that JSON value, other text stays a string. A value holding a
 *   number JSON cannot carry (Infinity, NaN: `1e400` in a body) or nested deeper than
 *   {@link MAX_JSON_VALUE_DEPTH} levels is not cast (dropped and reported, as `double` does);
 *   the same holds for an object or array cast to `string`.
 * `null` and `undefined` never cast (the caller reports them as missing).
 */
export function castValue(value: unknown, type: ValueType, fromText = false): CastResult {
  if (value === null || value === undefined) return fail(value, type)
  switch (type) {
    case 'string':
      return castString(value)
    case 'double':
      return castDouble(value)
    case 'int':
      return castInt(value)
    case 'bool':
      return castBool(value)
    case 'json':
      return castJson(value, fromText)
    default:
      return { ok: false, reason: `unknown value type ${describeValue(type)}` }
  }
}
