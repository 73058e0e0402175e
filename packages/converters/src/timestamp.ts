import { parseDecimal } from './_decimal.ts'
import { parseDateString, type DateParseOptions } from './date-parse.ts'

/**
 * An epoch number in the unit its size suggests → milliseconds: below 1e11 seconds (up to the
 * year 5138), below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
 */
function fromEpochNumber(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined
  const size = Math.abs(n)
  const ms = size < 1e11 ? n * 1000 : size < 1e14 ? n : size < 1e17 ? n / 1e3 : n / 1e6
  const rounded = Math.round(ms)
  return Math.abs(rounded) <= 8.64e15 ? rounded : undefined
}

/**
 * A timestamp value from a body → epoch milliseconds, or undefined when it is not one.
 * Numbers and numeric strings are epoch times (seconds when below 1e11, see above); other strings
 * are parsed as dates (`parseDateString`; naive times are local time).
 */
export function toEpochMs(value: unknown, options: DateParseOptions = {}): number | undefined {
  if (typeof value === 'number') return fromEpochNumber(value)
  if (typeof value !== 'string') return undefined
  const n = parseDecimal(value)
  return n === undefined ? parseDateString(value, options) : fromEpochNumber(n)
}

const ESCAPED_CHAR = /\\(.)/g

/**
 * The last key of a path expression: `D1234.timestamp` → `timestamp`, `a.items[0]` → `items`,
 * `a["x.y"]` → `x.y`. Used to search a timestamp field anywhere in the body, as the original does.
 */
export function lastPathKey(expr: string): string {
  let rest = expr.trim()
  while (rest.endsWith(']')) {
    const open = rest.lastIndexOf('[')
    if (open === -1) break
    const inner = rest.slice(open + 1, -1).trim()
    const quote = inner[0]
    if ((quote === '"' || quote === "'") && inner.endsWith(quote) && inner.length >= 2) {
      return inner.slice(1, -1).replace(ESCAPED_CHAR, '$1')
    }
    rest = rest.slice(0, open)
  }
  return rest.slice(rest.lastIndexOf('.') + 1).trim()
}

const MAX_DEPTH = 32

/**
 * Depth-first search for `key` anywhere in `data`: an object's own key wins over its children;
 * children (object values, array elements) are searched in order. `undefined` values do not count.
 */
export function findKeyDeep(data: unknown, key: string, depth = 0): { found: boolean; value: unknown } {
  if (typeof data !== 'object' || data === null || depth > MAX_DEPTH) return { found: false, value: undefined }
  if (!Array.isArray(data) && Object.hasOwn(data, key)) {
    const value = (data as Record<string, unknown>)[key]
    if (value !== undefined) return { found: true, value }
  }
  for (const child of Array.isArray(data) ? data : Object.values(data)) {
    const hit = findKeyDeep(child, key, depth + 1)
    if (hit.found) return hit
  }
  return { found: false, value: undefined }
}
