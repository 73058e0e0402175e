/**
 * `JSON.parse` of a large message from ThingsBoard in slices, one slice per turn of the event loop
 * (`nextTurn`), so that a shared-attribute update with 100 000 keys (~2 MB) does not hold up HTTP
 * requests and MQTT keep-alive for the whole parse (~40 ms on a quiet machine, 0.2–0.4 s on a busy
 * one).
 *
 * The text is scanned (resumably, `SCAN_CHARS` per turn) for the object at depth 2 with the most
 * members — the `data` of `{"device":…,"data":{…}}` — and the top-level commas inside it. The rest
 * of the message is parsed with that object replaced by `{}`, then the object's members are parsed
 * `SLICE_MEMBERS` (or about `SLICE_CHARS`) at a time, each slice wrapped in braces, and copied into
 * the placeholder. Every slice must parse and hold at least one member, the message's top level must
 * be an object without duplicate keys, and the sliced object must be the value of its key: then the
 * result is the one `JSON.parse` of the whole text gives, and a text `JSON.parse` refuses is refused.
 * Anything else (no big object, a top-level array, a duplicate key) is parsed whole.
 */
import { nextTurn } from '@restgate/core'

/** Payloads of at least this many bytes are parsed in slices. */
export const LARGE_PAYLOAD_BYTES: number = 64 * 1024
/** Characters scanned per turn. */
export const SCAN_CHARS: number = 256 * 1024
/** Members (or about `SLICE_CHARS` characters of them) parsed per turn. */
export const SLICE_MEMBERS: number = 1024
export const SLICE_CHARS: number = 32 * 1024

const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93

interface Container {
  /** The key's string token (quotes included) at depth 1 before the object. */
  keyStart: number
  keyEnd: number
  start: number
  end: number
  commas: number[]
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Resolves with `JSON.parse(text)`; rejects with a `SyntaxError` where it would throw. */
export async function parseLargeJson(text: string): Promise<unknown> {
  let depth = 0
  let inString = false
  let escaped = false
  let stringStart = -1
  let lastKeyStart = -1
  let lastKeyEnd = -1
  let outerMembers = 1
  let current: Container | undefined
  let best: Container | undefined
  const first = /\S/.exec(text.slice(0, 64))?.[0]
  if (first !== '{') return JSON.parse(text)
  for (let from = 0; from < text.length; from += SCAN_CHARS) {
    if (from > 0) await nextTurn()
    const to = Math.min(text.length, from + SCAN_CHARS)
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i)
      if (inString) {
        if (escaped) escaped = false
        else if (c === BACKSLASH) escaped = true
        else if (c === QUOTE) {
          inString = false
          if (depth === 1) {
            lastKeyStart = stringStart
            lastKeyEnd = i
          }
        }
        continue
      }
      switch (c) {
        case QUOTE:
          inString = true
          stringStart = i
          break
        case OPEN_BRACE:
        case OPEN_BRACKET:
          depth++
          if (depth === 2 && c === OPEN_BRACE) current = { keyStart: lastKeyStart, keyEnd: lastKeyEnd, start: i, end: -1, commas: [] }
          break
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          if (depth === 2 && current !== undefined) {
            // the sliced object's own closing brace is not in any text parsed later: check it here
            if (c !== CLOSE_BRACE) return JSON.parse(text)
            current.end = i
            if (best === undefined || current.commas.length > best.commas.length) best = current
            current = undefined
          }
          depth--
          break
        case COMMA:
          if (depth === 2) current?.commas.push(i)
          else if (depth === 1) outerMembers++
          break
      }
    }
  }
  // small, unbalanced or no object worth slicing: one parse (which also throws for broken text)
  if (best === undefined || best.commas.length < SLICE_MEMBERS || best.keyStart < 0 || depth !== 0 || inString) return JSON.parse(text)
  await nextTurn()
  const outer: unknown = JSON.parse(`${text.slice(0, best.start)}{}${text.slice(best.end + 1)}`)
  const key: unknown = JSON.parse(text.slice(best.keyStart, best.keyEnd + 1))
  if (!isPlainObject(outer) || typeof key !== 'string' || Object.keys(outer).length !== outerMembers) return JSON.parse(text)
  const target = outer[key]
  if (!isPlainObject(target) || Object.keys(target).length !== 0) return JSON.parse(text)
  const cuts = [best.start, ...best.commas, best.end]
  const last = cuts.length - 1
  for (let a = 0; a < last;) {
    await nextTurn()
    let b = a + 1
    while (b < last && b - a < SLICE_MEMBERS && (cuts[b + 1] as number) - (cuts[a] as number) <= SLICE_CHARS) b++
    const part: unknown = JSON.parse(`{${text.slice((cuts[a] as number) + 1, cuts[b])}}`)
    const keys = Object.keys(part as object)
    // a slice of members always holds one; none means an empty member (`{"a":1,}`, `,,`)
    if (keys.length === 0) throw new SyntaxError(`Unexpected token in JSON at position ${cuts[a] as number}: empty member`)
    for (const k of keys) {
      const value = (part as Record<string, unknown>)[k]
      if (k === '__proto__') Object.defineProperty(target, k, { value, enumerable: true, writable: true, configurable: true })
      else target[k] = value
    }
    a = b
  }
  return outer
}
