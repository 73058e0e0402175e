import { TemplateError } from './errors.ts'
import { parsePath, type PathSegment } from './path.ts'

/** What a lookup found: `found: false` when the path does not exist or its value is `undefined`. */
export interface ResolveResult {
  found: boolean
  value: unknown
}

/** An expression prepared once: the trimmed text plus its parsed path (null when it is not a valid path). */
export interface CompiledExpression {
  readonly text: string
  readonly segments: readonly PathSegment[] | null
  /** Whether the whole-text own-key lookup can give a different answer than the path. */
  readonly keyFirst: boolean
}

const NOT_FOUND: ResolveResult = Object.freeze({ found: false, value: undefined })

/** Prepares an expression for repeated lookups (no parsing happens afterwards). Never throws. */
export function compileExpression(expr: string): CompiledExpression {
  const text = expr.trim()
  let segments: PathSegment[] | null
  try {
    segments = parsePath(text)
  } catch (e) {
    if (!TemplateError.is(e)) throw e
    segments = null // not a path: looked up only as a top-level key (the original's rule)
  }
  const first = segments?.[0]
  const keyFirst = !(segments?.length === 1 && first?.kind === 'key' && first.key === text)
  return Object.freeze({ text, segments: segments === null ? null : Object.freeze(segments), keyFirst })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

const hasOwn = Object.hasOwn

function arrayIndex(length: number, index: number): number {
  return index < 0 ? length + index : index
}

function isCanonicalIndex(key: string): boolean {
  if (key.length === 0 || key.length > 15) return false
  if (key === '0') return true
  const first = key.charCodeAt(0)
  if (first < 49 || first > 57) return false // '1'..'9'
  for (let i = 1; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function walk(current: unknown, segments: readonly PathSegment[], from: number): ResolveResult {
  let value = current
  for (let i = from; i < segments.length; i++) {
    const segment = segments[i] as PathSegment
    if (!isObject(value)) return NOT_FOUND
    if (segment.kind === 'key') {
      if (Array.isArray(value)) {
        if (!isCanonicalIndex(segment.key)) return NOT_FOUND
        value = value[Number(segment.key)]
      } else {
        if (!hasOwn(value, segment.key)) return NOT_FOUND
        value = value[segment.key]
      }
    } else if (segment.kind === 'index') {
      if (Array.isArray(value)) {
        const at = arrayIndex(value.length, segment.index)
        if (at < 0 || at >= value.length) return NOT_FOUND
        value = value[at]
      } else {
        const key = String(segment.index)
        if (!hasOwn(value, key)) return NOT_FOUND
        value = value[key]
      }
    } else {
      const items = Array.isArray(value) ? value : Object.values(value)
      for (const item of items) {
        const hit = walk(item, segments, i + 1)
        if (hit.found) return hit
      }
      return NOT_FOUND
    }
    if (value === undefined) return NOT_FOUND
  }
  return value === undefined ? NOT_FOUND : { found: true, value }
}

/** Looks up a prepared expression. Never throws (a throwing getter counts as not found). */
export function resolveCompiled(data: unknown, expr: CompiledExpression): ResolveResult {
  try {
    if (expr.keyFirst && isObject(data) && !Array.isArray(data) && hasOwn(data, expr.text)) {
      const value = data[expr.text]
      if (value !== undefined) return { found: true, value }
    }
    return expr.segments === null ? NOT_FOUND : walk(data, expr.segments, 0)
  } catch {
    return NOT_FOUND
  }
}

const CACHE_LIMIT = 1024
const cache = new Map<string, CompiledExpression>()

/**
 * Looks `expr` up in `data` with the template rule: the whole (trimmed) text as an own key of the
 * top-level object first (`my key`, `a.b` when "a.b" is a key), then as a path (`a.b[0].c`).
 * Parsed expressions are cached, so repeated calls do no parsing. Never throws.
 */
export function resolvePath(data: unknown, expr: string): ResolveResult {
  let compiled = cache.get(expr)
  if (compiled === undefined) {
    compiled = compileExpression(expr)
    if (cache.size >= CACHE_LIMIT) cache.clear()
    cache.set(expr, compiled)
  }
  return resolveCompiled(data, compiled)
}
