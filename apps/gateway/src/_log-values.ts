/**
 * What the gateway logger does to every logged value before it is written: secrets redacted,
 * strings capped (a 500 KB device name must not make a 500 KB line), arrays, objects and depth
 * bounded; and, for readable (pretty) lines, control characters escaped so that a value from
 * outside (a device name with a newline or an ANSI escape) cannot forge or recolour a log line.
 */

/** Keys whose values are never logged. */
export const SECRET_KEY: RegExp = /pass(word)?|token|secret|authorization|private.?key|credential/i

/** Longest logged string, in UTF-16 code units. */
export const MAX_VALUE_LENGTH = 1024
const MAX_ITEMS = 50
const MAX_DEPTH = 5
/** Keys pino writes itself: a data key with one of these names is renamed so a line has each key once. */
const RESERVED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'component'])

/** `s` cut to `max` code units with a marker saying how much was cut. */
export function capString(s: string, max: number = MAX_VALUE_LENGTH): string {
  if (s.length <= max) return s
  return `${s.slice(0, max)}…[${s.length - max} more chars cut]`
}

/** Replaces values of secret-looking keys, recursively, so a caller's mistake cannot leak them. */
export function redact(data: unknown, depth = 0): unknown {
  if (depth > 4 || data === null || typeof data !== 'object') return data
  if (Array.isArray(data)) return data.map((v) => redact(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(data)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)
  return out
}

/**
 * One logged value made safe: secrets redacted, strings capped to `max`, at most 50 array items
 * and object keys and 5 levels (the rest replaced by a marker), errors as `{ name, message, code }`.
 */
export function sanitize(value: unknown, max: number = MAX_VALUE_LENGTH, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
      return capString(value, max)
    case 'number':
    case 'boolean':
    case 'undefined':
      return value
    case 'bigint':
      return value.toString()
    case 'function':
    case 'symbol':
      return `[${typeof value}]`
  }
  if (value === null) return null
  if (depth >= MAX_DEPTH) return '[too deep]'
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code
    return { name: value.name, message: capString(value.message, max), ...(typeof code === 'string' ? { code } : {}) }
  }
  if (Array.isArray(value)) {
    const out: unknown[] = []
    for (let i = 0; i < value.length && i < MAX_ITEMS; i++) out.push(sanitize(value[i], max, depth + 1))
    if (value.length > MAX_ITEMS) out.push(`…[${value.length - MAX_ITEMS} more items cut]`)
    return out
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  const obj = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  let n = 0
  let more = 0
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue
    if (n >= MAX_ITEMS) {
      more++
      continue
    }
    n++
    let name = capString(key, 128)
    if (depth === 0 && RESERVED.has(name)) name = `data.${name}`
    out[name] = SECRET_KEY.test(key) ? '[redacted]' : sanitize(obj[key], max, depth + 1)
  }
  if (more > 0) out['…'] = `${more} more keys cut`
  return out
}

/**
 * C0 and C1 controls (newline, CR, ESC, ...), DEL, the line/paragraph separators and the bidi
 * overrides/isolates (which reorder what a terminal shows).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** Every control character of `s` as a visible escape (`\n`, `\r`, `\t`, `\u001b`, ...). */
export function escapeControl(s: string): string {
  UNSAFE.lastIndex = 0
  if (!UNSAFE.test(s)) return s
  return s.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

const PRETTY_SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'component'])

/**
 * A JSON log line (as pino writes it) as a readable line:
 * `2026-11-25T18:00:00.000Z INFO [component] message {"extra":"data"}`, control characters escaped.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(json) as Record<string, unknown>
  } catch {
    return escapeControl(json)
  }
  const level = String(entry.level ?? 'info').toUpperCase()
  const tag = typeof entry.component === 'string' ? ` [${escapeControl(entry.component)}]` : ''
  const msg = escapeControl(String(entry.msg ?? ''))
  const rest: Record<string, unknown> = {}
  let extra = false
  for (const [k, v] of Object.entries(entry)) {
    if (PRETTY_SKIP.has(k)) continue
    rest[k] = v
    extra = true
  }
  // JSON.stringify escapes C0 controls; escapeControl also catches DEL, C1 and bidi characters
  const data = extra ? ' ' + escapeControl(JSON.stringify(rest)) : ''
  return `${String(entry.time ?? '')} ${level}${tag} ${msg}${data}`
}
