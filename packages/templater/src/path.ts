import { TemplateError } from './errors.ts'

/** One step of a parsed path expression. */
export type PathSegment =
  /** An object key (`a`, `["key with.dot"]`); on an array, a canonical integer key indexes it. */
  | { kind: 'key'; key: string }
  /** An array index (`[0]`); negative counts from the end (`[-1]` is the last element). */
  | { kind: 'index'; index: number }
  /** `[*]` or `.*`: every element / value, the first one where the rest of the path is found wins. */
  | { kind: 'wildcard' }

/** Characters that end an identifier segment. */
function isDelimiter(c: string): boolean {
  return c === '.' || c === '[' || c === ']'
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r'
}

function fail(message: string, expr: string, position: number): never {
  throw new TemplateError('TEMPLATE_SYNTAX', `Invalid path expression "${expr}": ${message} at position ${position}`, { position })
}

function identifierSegment(raw: string): PathSegment {
  const key = raw.trim()
  return key === '*' ? { kind: 'wildcard' } : { kind: 'key', key }
}

/**
 * Parses a path expression: `a.b.c`, `a[0].v`, `a[-1]`, `["key with.dot"]`, `['x']`, `a[*].v`, `a.*.v`.
 * Identifiers may hold any character but `.`, `[` and `]` (spaces and `:` included; they are trimmed);
 * use a quoted bracket key for the others (`\` escapes the next character inside quotes).
 * Whitespace around the whole expression is ignored.
 *
 * @throws {TemplateError} `TEMPLATE_SYNTAX` with `position` (0-based index into `expr`).
 */
export function parsePath(expr: string): PathSegment[] {
  const segments: PathSegment[] = []
  let i = 0
  const end = expr.length
  while (isSpace(expr[i])) i++
  let last = end
  while (last > i && isSpace(expr[last - 1])) last--
  if (i === last) fail('the expression is empty', expr, i)

  let expectSegment = true // at start or right after a '.'
  while (i < last) {
    const c = expr[i] as string
    if (c === '[') {
      i = parseBracket(expr, i, last, segments)
      expectSegment = false
      continue
    }
    if (c === ']') fail('"]" without a matching "["', expr, i)
    if (c === '.') {
      if (expectSegment) fail('a key is missing before "."', expr, i)
      expectSegment = true
      i++
      if (i >= last) fail('a key is missing after "."', expr, i - 1)
      continue
    }
    // identifier: only at the start or after '.'
    if (!expectSegment) fail(`expected ".", "[" or the end, found "${c}"`, expr, i)
    const start = i
    while (i < last && !isDelimiter(expr[i] as string)) i++
    const raw = expr.slice(start, i)
    if (raw.trim() === '') fail('a key is empty', expr, start)
    segments.push(identifierSegment(raw))
    expectSegment = false
  }
  return segments
}

/** Parses `[ ... ]` starting at `open`; pushes one segment; returns the index after `]`. */
function parseBracket(expr: string, open: number, last: number, out: PathSegment[]): number {
  let i = open + 1
  while (isSpace(expr[i])) i++
  const c = expr[i]
  if (c === undefined || i >= last) fail('"[" is not closed', expr, open)
  if (c === '"' || c === "'") {
    let key = ''
    i++
    for (;;) {
      if (i >= last) fail('a quoted key is not closed', expr, open + 1)
      const ch = expr[i] as string
      if (ch === '\\') {
        if (i + 1 >= last) fail('a quoted key is not closed', expr, open + 1)
        key += expr[i + 1]
        i += 2
        continue
      }
      if (ch === c) break
      key += ch
      i++
    }
    i++
    out.push({ kind: 'key', key })
  } else {
    const start = i
    while (i < last && expr[i] !== ']' && !isSpace(expr[i])) i++
    const token = expr.slice(start, i)
    if (token === '*') out.push({ kind: 'wildcard' })
    else if (/^-?\d+$/.test(token) && Number.isSafeInteger(Number(token))) out.push({ kind: 'index', index: Number(token) })
    else fail(`expected an integer, "*" or a quoted key inside "[...]", found ${token === '' ? 'nothing' : `"${token}"`}`, expr, start)
  }
  while (isSpace(expr[i])) i++
  if (i >= last || expr[i] !== ']') fail('"[" is not closed', expr, open)
  return i + 1
}
