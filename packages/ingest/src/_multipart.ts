/**
 * A small multipart/form-data reader that keeps what the web `formData()` API loses: the
 * Content-Type of each non-file part (JSON parts are parsed as JSON, like the original gateway).
 * File parts (with a `filename`) are counted and skipped; the raw body stays with the caller.
 */
import { checkJsonLimits, jsonLimitDefaults, type JsonLimits, type LimitBreach } from './_json-limits.ts'
import { decodeText, decoderFor, parseContentType, unquote } from './_content-type.ts'

export type MultipartResult =
  | { ok: true; fields: Record<string, unknown>; files: number }
  | { ok: false; code: 'MULTIPART_INVALID' | 'INVALID_ENCODING' | LimitBreach['code']; message: string }

const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')
const DASH = 0x2d
const CR = 0x0d
const LF = 0x0a

interface PartHeaders {
  name?: string
  isFile: boolean
  contentType: string | null
}

/** Splits `a; b="x;y"; c=d` into parameters, honouring quoted strings. */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>()
  let i = value.indexOf(';')
  while (i >= 0 && i < value.length) {
    i++
    const eq = value.indexOf('=', i)
    if (eq < 0) break
    const name = value.slice(i, eq).trim().toLowerCase()
    let j = eq + 1
    while (j < value.length && value.charCodeAt(j) === 0x20) j++
    let raw: string
    if (value.charCodeAt(j) === 0x22) {
      let k = j + 1
      while (k < value.length && value.charCodeAt(k) !== 0x22) k += value.charCodeAt(k) === 0x5c ? 2 : 1
      raw = value.slice(j, k + 1)
      i = value.indexOf(';', k + 1)
    } else {
      const end = value.indexOf(';', j)
      raw = (end < 0 ? value.slice(j) : value.slice(j, end)).trim()
      i = end
    }
    params.set(name, unquote(raw))
  }
  return params
}

function parseHeaders(text: string): PartHeaders {
  const headers: PartHeaders = { isFile: false, contentType: null }
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'content-disposition') {
      const params = dispositionParams(value)
      headers.name = params.get('name')
      headers.isFile = params.has('filename') || params.has('filename*')
    } else if (name === 'content-type') {
      headers.contentType = value
    }
  }
  return headers
}

/** Reads the fields of a multipart/form-data body delimited by `boundary`. */
export function parseMultipart(body: Uint8Array, boundary: string | undefined, limits: JsonLimits = jsonLimitDefaults): MultipartResult {
  if (!boundary) return { ok: false, code: 'MULTIPART_INVALID', message: 'multipart body without a boundary parameter' }
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const delimiter = Buffer.from(`--${boundary}`)
  const nextDelimiter = Buffer.concat([CRLF, delimiter])
  const entries: Array<[string, unknown]> = []
  let files = 0
  let pos = buf.indexOf(delimiter)
  if (pos < 0) return { ok: false, code: 'MULTIPART_INVALID', message: 'multipart body does not contain its boundary' }
  pos += delimiter.length
  for (;;) {
    if (buf[pos] === DASH && buf[pos + 1] === DASH) break // closing delimiter
    while (buf[pos] === 0x20 || buf[pos] === 0x09) pos++ // transport padding
    if (buf[pos] !== CR || buf[pos + 1] !== LF) {
      return { ok: false, code: 'MULTIPART_INVALID', message: 'malformed multipart delimiter line' }
    }
    pos += 2
    let headerText = ''
    let contentStart: number
    if (buf[pos] === CR && buf[pos + 1] === LF) {
      contentStart = pos + 2 // a part without headers
    } else {
      const headerEnd = buf.indexOf(HEADER_END, pos)
      if (headerEnd < 0) return { ok: false, code: 'MULTIPART_INVALID', message: 'multipart part headers are not terminated' }
      headerText = buf.toString('utf8', pos, headerEnd)
      contentStart = headerEnd + 4
    }
    const contentEnd = buf.indexOf(nextDelimiter, contentStart)
    if (contentEnd < 0) return { ok: false, code: 'MULTIPART_INVALID', message: 'multipart body ends before its closing boundary' }
    pos = contentEnd + nextDelimiter.length
    const headers = parseHeaders(headerText)
    if (headers.isFile) {
      files++
      continue
    }
    if (headers.name === undefined) continue
    const type = parseContentType(headers.contentType)
    const decoder = decoderFor(type.charset)
    const text = decoder ? decodeText(decoder, buf.subarray(contentStart, contentEnd)) : undefined
    if (text === undefined) {
      return { ok: false, code: 'INVALID_ENCODING', message: `multipart field "${headers.name}" is not valid ${type.charset ?? 'utf-8'} text` }
    }
    let value: unknown = text
    if (type.kind === 'json') {
      const breach = checkJsonLimits(text, limits)
      if (breach) return { ok: false, code: breach.code, message: `multipart field "${headers.name}": ${breach.message}` }
      try {
        value = JSON.parse(text)
      } catch {
        value = text // as the original: a JSON part that does not parse is kept as text
      }
    }
    entries.push([headers.name, value])
  }
  return { ok: true, fields: Object.fromEntries(entries), files }
}
