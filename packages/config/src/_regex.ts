/** Compiles the filters of the config (`deviceNameFilter`, `attributeFilter`, `methodFilter`). */

export type CompiledFilter = { ok: true; regex: RegExp } | { ok: false; reason: string }

const LEADING_FLAGS = /^\(\?([aiLmsux]+)\)/

/**
 * Translates the simple Python-only regex syntax to JavaScript: `(?P<n>` → `(?<n>`, `(?P=n)` →
 * `\k<n>`, `\A` → `^`, `\Z` → `$`, and leading inline flags `(?i)` / `(?s)` → RegExp flags.
 */
export function translatePythonRegex(source: string): { source: string; flags: string } {
  let flags = ''
  let body = source
  const leading = LEADING_FLAGS.exec(body)
  if (leading !== null) {
    const letters = leading[1] as string
    const unsupported = letters.replace(/[is]/g, '')
    if (unsupported === '' || /^[au]+$/.test(unsupported)) {
      if (letters.includes('i')) flags += 'i'
      if (letters.includes('s')) flags += 's'
      body = body.slice(leading[0].length)
    }
  }
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string
    if (ch === '\\') {
      const next = body[i + 1]
      if (next === 'A') out += '^'
      else if (next === 'Z') out += '$'
      else out += ch + (next ?? '')
      i++
      continue
    }
    if (body.startsWith('(?P<', i)) {
      out += '(?<'
      i += 3
      continue
    }
    if (body.startsWith('(?P=', i)) {
      const close = body.indexOf(')', i)
      if (close !== -1) {
        out += `\\k<${body.slice(i + 4, close)}>`
        i = close
        continue
      }
    }
    out += ch
  }
  return { source: out, flags }
}

/** Compiles a filter as a full match (`^(?:...)$`, like Python's `re.fullmatch`). */
export function compileFilter(source: string): CompiledFilter {
  const { source: translated, flags } = translatePythonRegex(source)
  try {
    return { ok: true, regex: new RegExp(`^(?:${translated})$`, flags) }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return { ok: false, reason: message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') }
  }
}
