/**
 * Turns a request body into converter data, as the original gateway reads it (docs/spec/DECISIONS.md,
 * Uplink): a body that is a JSON object or array is JSON whatever its Content-Type says, then form
 * fields, then `{ text }`; multipart bodies give their fields. `strict` (the JSON converter) turns
 * what cannot be converted into 4xx answers; lenient parsing (custom converters, which also get the
 * raw bytes) never fails.
 */
import { decodeText, decoderFor, type ContentType } from './_content-type.ts'
import { nextTurn } from '@restgate/core'
import { type ArrayCuts, checkJsonLimits, type JsonLimits, JsonScan, type LimitBreach } from './_json-limits.ts'
import { parseMultipart } from './_multipart.ts'

export type JsonObject = Record<string, unknown>

export type BodyValue = JsonObject | unknown[] | undefined

export interface ParseFailure {
  ok: false
  status: 400 | 413 | 415
  code: string
  message: string
}

export type ParseResult = { ok: true; value: BodyValue } | ParseFailure

export type DataResult = { ok: true; data: JsonObject | unknown[] } | ParseFailure

const EMPTY: ParseResult = { ok: true, value: undefined }

function fail(status: 400 | 413 | 415, code: string, message: string): ParseFailure {
  return { ok: false, status, code, message }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
}

/** Whether `text` may be a JSON document (cheap check, so plain text and forms skip JSON.parse). */
function mayBeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue
    // { [ " - 0-9
    if (c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39)) return true
    if (c === 0x74 || c === 0x66 || c === 0x6e) {
      const word = text.trim()
      return word === 'true' || word === 'false' || word === 'null'
    }
    return false
  }
  return false
}

/** A limit breach as a refusal: too deep is a 400, too many elements or keys a 413. */
function refusal(breach: LimitBreach): ParseFailure {
  return fail(breach.code === 'BODY_TOO_DEEP' ? 400 : 413, breach.code, breach.message)
}

function overLimit(text: string, limits: JsonLimits): ParseFailure | undefined {
  const breach = checkJsonLimits(text, limits)
  return breach === undefined ? undefined : refusal(breach)
}

/** `parsed` of {@link fromText} for text that is not JSON, or that was not tried as JSON. */
const NOT_JSON: unique symbol = Symbol('not JSON')
const NOT_TRIED: unique symbol = Symbol('not tried')

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return NOT_JSON
  }
}

/** The decoded text, or the answer when the bytes cannot be decoded. */
function decode(bytes: Uint8Array, type: ContentType, strict: boolean): string | ParseResult {
  const decoder = decoderFor(type.charset)
  if (!decoder) return strict ? fail(415, 'UNSUPPORTED_CHARSET', `charset "${type.charset}" is not supported`) : EMPTY
  const text = decodeText(decoder, bytes)
  if (text === undefined) {
    return strict ? fail(400, 'INVALID_ENCODING', `the body is not valid ${type.charset ?? 'UTF-8'} text`) : EMPTY
  }
  return text
}

/** The data of `text` once it was parsed as JSON (`parsed`), found not to be JSON, or not tried. */
function fromText(text: string, type: ContentType, strict: boolean, parsed: unknown): ParseResult {
  if (type.kind === 'json') {
    if (parsed === NOT_JSON)
      return strict ? fail(400, 'INVALID_JSON', `the body is declared ${type.media} but is not valid JSON`) : { ok: true, value: { text } }
    if (typeof parsed === 'object' && parsed !== null) return { ok: true, value: parsed as JsonObject | unknown[] }
    return strict ? fail(400, 'BODY_SHAPE', `expected a JSON object or array as the body, got ${typeName(parsed)}`) : { ok: true, value: { text } }
  }
  if (parsed !== NOT_TRIED && parsed !== NOT_JSON) {
    if (typeof parsed === 'object' && parsed !== null) return { ok: true, value: parsed as JsonObject | unknown[] }
    if (strict) return fail(400, 'BODY_SHAPE', `expected a JSON object or array as the body, got ${typeName(parsed)}`)
  }
  // not JSON after all: read as form fields or text
  if (type.kind === 'form') {
    const fields = Object.fromEntries(new URLSearchParams(text))
    if (Object.keys(fields).length > 0) return { ok: true, value: fields }
  }
  return { ok: true, value: { text } }
}

/**
 * Bodies from this size on are read in turns of the event loop (`nextTurn` of @restgate/core):
 * decoding gets a turn, the limit scan a turn per {@link SCAN_CHARS} characters, and a JSON array
 * is parsed a slice at a time (see {@link parseArrayInSlices}), so one big body never holds other
 * requests for its whole parse. Smaller bodies are read at once (no extra turn on the usual path).
 */
export const LARGE_BODY_BYTES: number = 64 * 1024
/** A slice of a big JSON array body: at most this many elements or about this many characters. */
export const SLICE_ELEMENTS: number = 1024
export const SLICE_CHARS: number = 32 * 1024
/** Characters of a big body scanned for the limits per turn. */
export const SCAN_CHARS: number = 256 * 1024

/**
 * Reads `bytes` by the rules above; an empty body gives `undefined`. Text about to be parsed as
 * JSON is first checked against `limits` (in both modes: the limits protect the gateway). A body
 * of {@link LARGE_BODY_BYTES} or more (but multipart) is read in turns: the result is a promise.
 */
export function parseBody(bytes: Uint8Array, type: ContentType, strict: boolean, limits: JsonLimits): ParseResult | Promise<ParseResult> {
  if (bytes.byteLength === 0) return EMPTY
  if (type.kind === 'multipart') {
    const parsed = parseMultipart(bytes, type.boundary, limits)
    if (parsed.ok) return { ok: true, value: parsed.fields }
    if (parsed.code === 'TOO_MANY_KEYS' || parsed.code === 'TOO_MANY_ELEMENTS') return fail(413, parsed.code, parsed.message)
    if (parsed.code === 'BODY_TOO_DEEP') return fail(400, parsed.code, parsed.message)
    return strict ? fail(400, parsed.code, parsed.message) : EMPTY
  }
  if (bytes.byteLength >= LARGE_BODY_BYTES) return parseLargeBody(bytes, type, strict, limits)
  const text = decode(bytes, type, strict)
  if (typeof text !== 'string') return text
  if (type.kind !== 'json' && !mayBeJson(text)) return fromText(text, type, strict, NOT_TRIED)
  const refused = overLimit(text, limits)
  if (refused) return refused
  return fromText(text, type, strict, jsonOf(text))
}

/** {@link parseBody} of a big body: decode, scan and parse in separate turns, a JSON array in slices. */
async function parseLargeBody(bytes: Uint8Array, type: ContentType, strict: boolean, limits: JsonLimits): Promise<ParseResult> {
  await nextTurn()
  const text = decode(bytes, type, strict)
  if (typeof text !== 'string') return text
  if (type.kind !== 'json' && !mayBeJson(text)) return fromText(text, type, strict, NOT_TRIED)
  await nextTurn()
  const cuts: ArrayCuts = { open: -1, close: -1, cuts: [], single: true, sliceElements: SLICE_ELEMENTS, sliceChars: SLICE_CHARS }
  const scan = new JsonScan(text, limits, cuts)
  for (let end = SCAN_CHARS; ; end += SCAN_CHARS) {
    const breach = scan.run(end)
    if (breach) return refusal(breach)
    await nextTurn()
    if (scan.done) break
  }
  const parsed = isSliceable(text, cuts) ? await parseArrayInSlices(text, cuts) : jsonOf(text)
  return fromText(text, type, strict, parsed)
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
}

/** A top-level array, alone in the text (only whitespace around it), that the scan cut at least once. */
function isSliceable(text: string, cuts: ArrayCuts): boolean {
  if (cuts.cuts.length === 0 || !cuts.single || cuts.open < 0 || cuts.close < 0 || text.charCodeAt(cuts.close) !== 0x5d) return false
  for (let i = 0; i < cuts.open; i++) if (!isJsonSpace(text.charCodeAt(i))) return false
  for (let i = cuts.close + 1; i < text.length; i++) if (!isJsonSpace(text.charCodeAt(i))) return false
  return true
}

/**
 * The array, parsed one slice of elements per turn: each slice (the text between two top-level
 * commas the scan chose) is parsed as `[slice]` by JSON.parse, so the text is exactly as valid as
 * the whole would be: every slice must parse and hold at least one element (`[1,,2]` cut at the
 * empty element gives `[]`, refused), and valid non-empty element lists joined by commas are a
 * valid list. NOT_JSON when a slice is not.
 */
async function parseArrayInSlices(text: string, cuts: ArrayCuts): Promise<unknown> {
  const out: unknown[] = []
  const ends = cuts.cuts
  let from = cuts.open
  for (let k = 0; k <= ends.length; k++) {
    const to = k < ends.length ? (ends[k] as number) : cuts.close
    if (k > 0) await nextTurn()
    const part = jsonOf(`[${text.slice(from + 1, to)}]`)
    if (!Array.isArray(part) || part.length === 0) return NOT_JSON
    for (let i = 0; i < part.length; i++) out.push(part[i])
    from = to
  }
  return out
}

/**
 * Merges path parameters, body and query (query wins, as in the original). An array body is merged
 * into each of its elements; in strict mode every element must be an object. An array of more than
 * {@link SLICE_ELEMENTS} elements that needs copies is merged a slice per turn (a promise).
 */
export function mergeData(params: JsonObject, body: BodyValue, query: JsonObject, strict: boolean): DataResult | Promise<DataResult> {
  if (body === undefined) return { ok: true, data: { ...params, ...query } }
  // nothing to merge (the usual POST): the freshly parsed body is the data, no copy
  const plain = isEmpty(params) && isEmpty(query)
  if (!Array.isArray(body)) return { ok: true, data: plain ? body : { ...params, ...body, ...query } }
  if (plain) {
    // no copies: only the strict check of the elements (one cheap test each)
    if (strict) {
      for (let i = 0; i < body.length; i++) if (!isObject(body[i])) return notObject(i, body[i])
    }
    return { ok: true, data: body }
  }
  if (body.length > SLICE_ELEMENTS) return mergeInSlices(params, body, query, strict)
  const out: unknown[] = []
  return mergeRange(params, body, query, strict, 0, body.length, out) ?? { ok: true, data: out }
}

function notObject(i: number, element: unknown): ParseFailure {
  return fail(400, 'BODY_SHAPE', `expected an array of JSON objects as the body; element [${i}] is ${typeName(element)}`)
}

function mergeRange(
  params: JsonObject,
  body: unknown[],
  query: JsonObject,
  strict: boolean,
  from: number,
  to: number,
  out: unknown[],
): ParseFailure | undefined {
  for (let i = from; i < to; i++) {
    const element: unknown = body[i]
    if (isObject(element)) out.push({ ...params, ...element, ...query })
    else if (strict) return notObject(i, element)
    else out.push(element)
  }
  return undefined
}

async function mergeInSlices(params: JsonObject, body: unknown[], query: JsonObject, strict: boolean): Promise<DataResult> {
  const out: unknown[] = []
  for (let from = 0; from < body.length; from += SLICE_ELEMENTS) {
    await nextTurn()
    const failed = mergeRange(params, body, query, strict, from, Math.min(body.length, from + SLICE_ELEMENTS), out)
    if (failed) return failed
  }
  return { ok: true, data: out }
}

function isEmpty(o: JsonObject): boolean {
  for (const _ in o) return false
  return true
}
