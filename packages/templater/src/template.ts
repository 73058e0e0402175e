import { TemplateError } from './errors.ts'
import { compileExpression, resolveCompiled, type CompiledExpression } from './resolve.ts'
import { jsonStringStates, scanTemplate, urlDotGroups, type UrlDotGroup } from './_scan.ts'
import { encodeUrlComponent, jsonOf, jsonStringContent, textOf } from './_stringify.ts'

/**
 * Where a rendering goes: 'text' (plain), 'url' (each value percent-encoded), 'json' (each value
 * JSON-encoded, or escaped as string content when the placeholder sits inside a JSON string).
 */
export type RenderContext = 'text' | 'url' | 'json'

export interface RenderResult {
  value: string
  /** Expressions not found (in order of first appearance, no duplicates). */
  missing: string[]
}

export interface EvaluateResult {
  /** For a single-placeholder template the raw value (any type, undefined when missing); otherwise text. */
  value: unknown
  missing: string[]
}

/** A compiled `${...}` template: parsed once, rendered many times without parsing. */
export interface Template {
  readonly source: string
  /** The (trimmed) expressions, in order of first appearance, no duplicates. */
  readonly placeholders: string[]
  /** No placeholders at all: renders to `source` in every context. */
  readonly isConstant: boolean
  /** Exactly `${expr}`, nothing around it. */
  readonly isSingle: boolean
  /** Raw value: for isSingle the resolved value (any type); otherwise the text rendering. */
  evaluate(data: unknown): EvaluateResult
  /** Renders in a context (default 'text'). Missing placeholders render empty (`null` in JSON outside strings). */
  render(data: unknown, context?: RenderContext): RenderResult
}

export interface CompileTemplateOptions {
  /**
   * Where the template sits in the config file, e.g. `mapping[0].converter.timeseries[1].value`;
   * named in error messages.
   * @default '' (no path)
   */
  path?: string
}

export const compileTemplateDefaults: Readonly<Required<CompileTemplateOptions>> = Object.freeze({ path: '' })

const NO_MISSING: readonly string[] = Object.freeze([])

class CompiledTemplate implements Template {
  readonly source: string
  readonly placeholders: string[]
  readonly isConstant: boolean
  readonly isSingle: boolean
  readonly #literals: readonly string[]
  readonly #expressions: readonly CompiledExpression[]
  readonly #inJsonString: readonly boolean[]
  readonly #urlGroups: readonly UrlDotGroup[]

  constructor(source: string, literals: string[], expressions: CompiledExpression[]) {
    this.source = source
    this.#literals = literals
    this.#expressions = expressions
    this.placeholders = Object.freeze([...new Set(expressions.map((e) => e.text))]) as string[]
    this.isConstant = expressions.length === 0
    this.isSingle = expressions.length === 1 && literals[0] === '' && literals[1] === ''
    this.#inJsonString = jsonStringStates(literals)
    this.#urlGroups = urlDotGroups(literals)
    Object.freeze(this)
  }

  evaluate(data: unknown): EvaluateResult {
    if (this.isSingle) {
      const expr = this.#expressions[0] as CompiledExpression
      const hit = resolveCompiled(data, expr)
      return { value: hit.value, missing: hit.found ? [] : [expr.text] }
    }
    return this.render(data, 'text')
  }

  render(data: unknown, context: RenderContext = 'text'): RenderResult {
    const literals = this.#literals
    const expressions = this.#expressions
    if (expressions.length === 0) return { value: this.source, missing: [...NO_MISSING] }
    const missing: string[] = []
    const pieces: string[] = []
    const isJson = context === 'json'
    const isUrl = context === 'url'
    for (let i = 0; i < expressions.length; i++) {
      const expr = expressions[i] as CompiledExpression
      const hit = resolveCompiled(data, expr)
      if (!hit.found && !missing.includes(expr.text)) missing.push(expr.text)
      if (isJson) {
        pieces.push(this.#inJsonString[i] === true ? jsonStringContent(textOf(hit.value)) : jsonOf(hit.value))
      } else if (isUrl) {
        pieces.push(encodeUrlComponent(textOf(hit.value)))
      } else {
        pieces.push(textOf(hit.value))
      }
    }
    if (isUrl) this.#guardDotSegments(pieces, missing)
    let out = literals[0] as string
    for (let i = 0; i < pieces.length; i++) out += (pieces[i] as string) + (literals[i + 1] as string)
    return { value: out, missing }
  }

  /** A value must not turn a path segment into `.` or `..`: such values render empty and count as missing. */
  #guardDotSegments(pieces: string[], missing: string[]): void {
    for (const group of this.#urlGroups) {
      let length = group.dots
      let onlyDots = true
      for (const m of group.members) {
        const piece = pieces[m] as string
        length += piece.length
        for (let k = 0; k < piece.length && onlyDots; k++) if (piece.charCodeAt(k) !== 46) onlyDots = false
      }
      if (!onlyDots || length === 0 || length > 2) continue
      for (const m of group.members) {
        if ((pieces[m] as string).length === 0) continue
        pieces[m] = ''
        const text = (this.#expressions[m] as CompiledExpression).text
        if (!missing.includes(text)) missing.push(text)
      }
    }
  }
}

/**
 * Compiles a `${...}` template once; `render`/`evaluate` then do no parsing and no regex work.
 *
 * @throws {TemplateError} `TEMPLATE_SYNTAX` (with `position`, the 0-based index into `source`) for an
 *   unclosed `${`, an empty `${}`, or a brace inside an expression; `TEMPLATE_INVALID_SOURCE` when
 *   `source` is not a string.
 */
export function compileTemplate(source: string, options?: CompileTemplateOptions): Template {
  const path = options?.path ?? compileTemplateDefaults.path
  if (typeof source !== 'string') {
    const where = path === '' ? '' : ` at ${path}`
    const reason = `expected a string, got ${source === null ? 'null' : typeof source}`
    throw new TemplateError('TEMPLATE_INVALID_SOURCE', `Invalid template${where}: ${reason}`, { reason, ...(path === '' ? {} : { path }) })
  }
  const scanned = scanTemplate(source, path)
  const expressions = scanned.placeholders.map((p) => compileExpression(p.raw))
  return new CompiledTemplate(source, scanned.literals, expressions)
}
