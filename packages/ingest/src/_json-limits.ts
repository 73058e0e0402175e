/**
 * Bounds on the work one JSON body may cause, checked by one pass over its text BEFORE it is
 * parsed (so a 20 000-deep or 1 000 000-key body costs one linear scan, never a parse, a deep
 * recursion or a 200 whose data is dropped later): the nesting depth, the number of elements of a
 * top-level array (each may be a device) and the number of object keys in the whole body.
 * The scan only counts brackets, commas and colons outside strings; on text that is not valid
 * JSON its counts are meaningless, and JSON.parse reports that text afterwards.
 */

export interface JsonLimits {
  /** Deepest nesting of objects and arrays; the body itself is depth 1. */
  maxDepth: number
  /** Elements of a top-level array body (each element is converted on its own). */
  maxElements: number
  /** Object keys in the whole body, at every depth. */
  maxKeys: number
}

export const jsonLimitDefaults: Readonly<JsonLimits> = Object.freeze({ maxDepth: 32, maxElements: 10_000, maxKeys: 100_000 })

export type LimitBreach = { code: 'BODY_TOO_DEEP' | 'TOO_MANY_ELEMENTS' | 'TOO_MANY_KEYS'; message: string }

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const COLON = 0x3a

/** Occurrences of `ch` in `text`, counted up to `max + 1` (indexOf: much faster than a char loop). */
function countUpTo(text: string, ch: string, max: number): number {
  let n = 0
  for (let i = text.indexOf(ch); i >= 0 && n <= max; i = text.indexOf(ch, i + 1)) n++
  return n
}

/**
 * Cheap bounds that settle the usual small body without the exact scan: the depth is at most the
 * number of `{` and `[` (strings included); `n` elements take at least `2n + 1` characters and `n`
 * keys at least `4n` (`"":0`), so a short text cannot have too many of either.
 */
function surelyWithin(text: string, limits: JsonLimits): boolean {
  if (text.length > 2 * limits.maxElements + 1 || text.length > 4 * limits.maxKeys) return false
  const braces = countUpTo(text, '{', limits.maxDepth)
  return braces <= limits.maxDepth && braces + countUpTo(text, '[', limits.maxDepth) <= limits.maxDepth
}

/**
 * Where a top-level array body may be cut into slices that are parsed one per turn of the event
 * loop (see `_parse.ts`): `open`/`close` are the offsets of its brackets, `cuts` the offsets of the
 * top-level commas after which a new slice starts. Filled by {@link checkJsonLimits} when asked.
 */
export interface ArrayCuts {
  /** Offset of the body's `[` (-1: the body is not an array). */
  open: number
  /** Offset of the bracket that closes it (-1: never closed). */
  close: number
  cuts: number[]
  /** False when the text reaches depth 0 more than once (not one JSON value). */
  single: boolean
  /** Elements and characters per slice. */
  sliceElements: number
  sliceChars: number
}

/** `undefined` when `text` (about to be parsed as JSON) is within `limits`, else which limit it breaks. */
export function checkJsonLimits(text: string, limits: JsonLimits, cuts?: ArrayCuts): LimitBreach | undefined {
  if (cuts === undefined && surelyWithin(text, limits)) return undefined
  return new JsonScan(text, limits, cuts).run(text.length)
}

/**
 * The scan of {@link checkJsonLimits}, resumable: `run(end)` scans the text up to offset `end`
 * (a window may end inside a string), so a big body is scanned a window per turn of the event loop.
 */
export class JsonScan {
  readonly text: string
  readonly limits: JsonLimits
  readonly cuts: ArrayCuts | undefined
  /** Where the next window starts. */
  pos = 0
  #inString = false
  #depth = 0
  #keys = 0
  /** Whether the body is an array; `separators` counts the commas between its elements. */
  #topArray = false
  #separators = 0
  /** Elements in the current slice and where it started (with `cuts`). */
  #inSlice = 0
  #sliceStart = 0

  constructor(text: string, limits: JsonLimits, cuts?: ArrayCuts) {
    this.text = text
    this.limits = limits
    this.cuts = cuts
  }

  /** True once the whole text was scanned. */
  get done(): boolean {
    return this.pos >= this.text.length
  }

  /** Scans up to offset `end`: which limit the text breaks, or undefined (so far). */
  run(end: number): LimitBreach | undefined {
    const text = this.text
    const cuts = this.cuts
    const { maxDepth, maxElements, maxKeys } = this.limits
    const n = Math.min(end, text.length)
    let depth = this.#depth
    let keys = this.#keys
    let topArray = this.#topArray
    let separators = this.#separators
    let inSlice = this.#inSlice
    let sliceStart = this.#sliceStart
    let inString = this.#inString
    let i = this.pos
    for (; i < n; i++) {
      const c = inString ? QUOTE : text.charCodeAt(i)
      if (c === QUOTE) {
        // skip the string (escapes included); a window may end inside it
        if (inString) {
          inString = false
          i--
        }
        for (i++; i < n; i++) {
          const q = text.charCodeAt(i)
          if (q === BACKSLASH) i++
          else if (q === QUOTE) break
        }
        if (i >= n) {
          inString = true
          break
        }
        continue
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (depth === 0) {
          if (c === OPEN_BRACKET) topArray = true
          if (cuts !== undefined) {
            if (cuts.open >= 0) cuts.single = false
            else if (c === OPEN_BRACKET) cuts.open = sliceStart = i
          }
        }
        if (++depth > maxDepth) {
          return { code: 'BODY_TOO_DEEP', message: `the body nests deeper than the limit of ${maxDepth} levels of objects and arrays` }
        }
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth === 0 && cuts !== undefined && cuts.close < 0) cuts.close = i
      } else if (c === COLON) {
        if (++keys > maxKeys) return { code: 'TOO_MANY_KEYS', message: `the body has more than the limit of ${maxKeys} object keys` }
      } else if (c === COMMA) {
        // n separators: n + 1 elements
        if (depth === 1 && topArray) {
          if (++separators >= maxElements) {
            return { code: 'TOO_MANY_ELEMENTS', message: `the body array has more than the limit of ${maxElements} elements` }
          }
          if (cuts !== undefined && (++inSlice >= cuts.sliceElements || i - sliceStart >= cuts.sliceChars)) {
            cuts.cuts.push(i)
            inSlice = 0
            sliceStart = i
          }
        }
      }
    }
    this.pos = i
    this.#inString = inString
    this.#depth = depth
    this.#keys = keys
    this.#topArray = topArray
    this.#separators = separators
    this.#inSlice = inSlice
    this.#sliceStart = sliceStart
    return undefined
  }
}
