/** Compile-time scanning of a template source: placeholders, JSON string state, URL dot segments. */
import { TemplateError } from './errors.ts'

export interface ScannedPlaceholder {
  /** The expression text between `${` and `}`, untrimmed. */
  raw: string
  /** Index of the `$` in the source. */
  position: number
}

export interface ScannedTemplate {
  /** Literal text around the placeholders: `literals.length === placeholders.length + 1`. */
  literals: string[]
  placeholders: ScannedPlaceholder[]
}

function excerpt(source: string, position: number): string {
  const from = Math.max(0, position - 12)
  const to = Math.min(source.length, position + 24)
  return `${from > 0 ? '…' : ''}${source.slice(from, to)}${to < source.length ? '…' : ''}`
}

function syntaxError(source: string, position: number, reason: string, path: string): TemplateError {
  const where = path === '' ? '' : ` at ${path}`
  const detail = `${reason} at position ${position} (near "${excerpt(source, position)}")`
  return new TemplateError('TEMPLATE_SYNTAX', `Invalid template${where}: ${detail}`, {
    position,
    reason: detail,
    ...(path === '' ? {} : { path }),
  })
}

/** Whether the quoted key open at `from` is closed somewhere later in the source. */
function quoteClosesLater(source: string, from: number, quote: string): boolean {
  for (let k = from; k < source.length; k++) {
    const c = source[k]
    if (c === '\\') k++
    else if (c === quote) return true
  }
  return false
}

/**
 * Splits `source` into literals and `${...}` placeholders. Inside an expression, a quoted key right
 * after `[` may hold `.`, `[`, `]` and quotes (with `\` escapes) but never a brace.
 */
export function scanTemplate(source: string, path: string): ScannedTemplate {
  const literals: string[] = []
  const placeholders: ScannedPlaceholder[] = []
  let literalStart = 0
  let i = 0
  for (;;) {
    const start = source.indexOf('${', i)
    if (start === -1) break
    let j = start + 2
    let close = -1
    let quote = '' // the open quote character while inside a quoted bracket key
    let quoteAt = -1
    let afterBracket = false
    while (j < source.length) {
      const c = source[j] as string
      if (quote !== '') {
        if (c === '\\') j++
        else if (c === quote) quote = ''
        else if (c === '{' || c === '}') {
          if (!quoteClosesLater(source, j, quote)) break
          throw syntaxError(source, j, `"${c}" is not allowed inside an expression`, path)
        }
        j++
        continue
      }
      if (c === '}') {
        close = j
        break
      }
      if (c === '{') throw syntaxError(source, j, '"{" is not allowed inside an expression', path)
      if (afterBracket && (c === '"' || c === "'")) {
        quote = c
        quoteAt = j
        afterBracket = false
      } else if (c === '[') afterBracket = true
      else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') afterBracket = false
      j++
    }
    if (quote !== '') throw syntaxError(source, quoteAt, 'a quoted key is not closed', path)
    if (close === -1) throw syntaxError(source, start, '"${" is not closed by "}"', path)
    const raw = source.slice(start + 2, close)
    if (raw.trim() === '') throw syntaxError(source, start, 'the expression is empty', path)
    literals.push(source.slice(literalStart, start))
    placeholders.push({ raw, position: start })
    literalStart = close + 1
    i = close + 1
  }
  literals.push(source.slice(literalStart))
  return { literals, placeholders }
}

/**
 * For each placeholder, whether it sits inside a JSON string literal, judged from the literal text
 * before it (double quotes open and close strings; a backslash escapes the next character).
 */
export function jsonStringStates(literals: readonly string[]): boolean[] {
  const states: boolean[] = []
  let inString = false
  let escaped = false
  for (let p = 0; p < literals.length - 1; p++) {
    const text = literals[p] as string
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k)
      if (inString) {
        if (escaped) escaped = false
        else if (c === 92 /* \ */) escaped = true
        else if (c === 34 /* " */) inString = false
      } else if (c === 34) inString = true
    }
    states.push(inString)
    escaped = false // an inserted value consumed a pending escape
  }
  return states
}

/** Placeholders that together (with only dots as literal text) form one URL path segment. */
export interface UrlDotGroup {
  /** Placeholder indexes of the segment. */
  members: number[]
  /** How many literal `.` the segment holds. */
  dots: number
}

/**
 * Finds path segments (before the first literal `?` or `#`) made only of placeholders and dots:
 * such a segment could render as `.` or `..`, which URL parsers and servers resolve as a path
 * step, so the renderer checks them.
 */
export function urlDotGroups(literals: readonly string[]): UrlDotGroup[] {
  const groups: UrlDotGroup[] = []
  let members: number[] = []
  let dots = 0
  let onlyDots = true
  const closeSegment = (): void => {
    if (members.length > 0 && onlyDots) groups.push({ members, dots })
    members = []
    dots = 0
    onlyDots = true
  }
  for (let p = 0; p < literals.length; p++) {
    const text = literals[p] as string
    for (let k = 0; k < text.length; k++) {
      const c = text[k]
      if (c === '?' || c === '#') {
        closeSegment()
        return groups
      }
      if (c === '/') closeSegment()
      else if (c === '.') dots++
      else onlyDots = false
    }
    if (p < literals.length - 1) members.push(p)
  }
  closeSegment()
  return groups
}
