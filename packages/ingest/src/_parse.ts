/**
 * Turns a request body into converter data, as the original gateway reads it (docs/spec/DECISIONS.md,
 * Uplink): a body that is a JSON object or array is JSON whatever its Content-Type says, then form
 * fields, then `{ text }`; multipart bodies give their fields. `strict` (the JSON converter) turns
 * what cannot be converted into 4xx answers; lenient parsing (custom converters, which also get the
 * raw bytes) never fails.
 */
import { decodeText, decoderFor, type ContentType } from './_content-type.ts'
import { checkJsonLimits, type JsonLimits } from './_json-limits.ts'
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
function overLimit(text: string, limits: JsonLimits): ParseFailure | undefined {
  const breach = checkJsonLimits(text, limits)
  return breach === undefined ? undefined : fail(breach.code === 'BODY_TOO_DEEP' ? 400 : 413, breach.code, breach.message)
}

/**
 * Reads `bytes` by the rules above; an empty body gives `undefined`. Text about to be parsed as
 * JSON is first checked against `limits` (in both modes: the limits protect the gateway).
 */
export function parseBody(bytes: Uint8Array, type: ContentType, strict: boolean, limits: JsonLimits): ParseResult {
  if (bytes.byteLength === 0) return EMPTY
  if (type.kind === 'multipart') {
    const parsed = parseMultipart(bytes, type.boundary, limits)
    if (parsed.ok) return { ok: true, value: parsed.fields }
    if (parsed.code === 'TOO_MANY_KEYS' || parsed.code === 'TOO_MANY_ELEMENTS') return fail(413, parsed.code, parsed.message)
    if (parsed.code === 'BODY_TOO_DEEP') return fail(400, parsed.code, parsed.message)
    return strict ? fail(400, parsed.code, parsed.message) : EMPTY
  }
  const decoder = decoderFor(type.charset)
  if (!decoder) return strict ? fail(415, 'UNSUPPORTED_CHARSET', `charset "${type.charset}" is not supported`) : EMPTY
  const text = decodeText(decoder, bytes)
  if (text === undefined) {
    return strict ? fail(400, 'INVALID_ENCODING', `the body is not valid ${type.charset ?? 'UTF-8'} text`) : EMPTY
  }
  if (type.kind === 'json') {
    const refused = overLimit(text, limits)
    if (refused) return refused
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return strict ? fail(400, 'INVALID_JSON', `the body is declared ${type.media} but is not valid JSON`) : { ok: true, value: { text } }
    }
    if (typeof parsed === 'object' && parsed !== null) return { ok: true, value: parsed as JsonObject | unknown[] }
    return strict ? fail(400, 'BODY_SHAPE', `expected a JSON object or array as the body, got ${typeName(parsed)}`) : { ok: true, value: { text } }
  }
  if (mayBeJson(text)) {
    const refused = overLimit(text, limits)
    if (refused) return refused
    let parsed: unknown
    let isJson = true
    try {
      parsed = JSON.parse(text)
    } catch {
      isJson = false // not JSON after all: read as form fields or text below
    }
    if (isJson) {
      if (typeof parsed === 'object' && parsed !== null) return { ok: true, value: parsed as JsonObject | unknown[] }
      if (strict) return fail(400, 'BODY_SHAPE', `expected a JSON object or array as the body, got ${typeName(parsed)}`)
    }
  }
  if (type.kind === 'form') {
    const fields = Object.fromEntries(new URLSearchParams(text))
    if (Object.keys(fields).length > 0) return { ok: true, value: fields }
  }
  return { ok: true, value: { text } }
}

/**
 * Merges path parameters, body and query (query wins, as in the original). An array body is merged
 * into each of its elements; in strict mode every element must be an object.
 */
export function mergeData(params: JsonObject, body: BodyValue, query: JsonObject, strict: boolean): DataResult {
  if (body === undefined) return { ok: true, data: { ...params, ...query } }
  // nothing to merge (the usual POST): the freshly parsed body is the data, no copy
  const plain = isEmpty(params) && isEmpty(query)
  if (!Array.isArray(body)) return { ok: true, data: plain ? body : { ...params, ...body, ...query } }
  const out: unknown[] = []
  for (let i = 0; i < body.length; i++) {
    const element: unknown = body[i]
    if (isObject(element)) out.push(plain ? element : { ...params, ...element, ...query })
    else if (strict) return fail(400, 'BODY_SHAPE', `expected an array of JSON objects as the body; element [${i}] is ${typeName(element)}`)
    else out.push(element)
  }
  return { ok: true, data: out }
}

function isEmpty(o: JsonObject): boolean {
  for (const _ in o) return false
  return true
}
