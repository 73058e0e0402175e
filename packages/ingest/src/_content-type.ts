/**
 * Content-Type classification and text decoding of request bodies. Decoders are created once per
 * charset label and shared (a fatal TextDecoder keeps no state between non-streaming calls).
 */

import { TextDecoder } from 'node:util'

/** How a body is read, by its declared media type. */
export type BodyKind = 'none' | 'json' | 'form' | 'multipart' | 'text' | 'binary' | 'other'

export interface ContentType {
  /** Lower-cased media type without parameters; '' when the header is absent. */
  media: string
  kind: BodyKind
  /** Lower-cased `charset` parameter, when given. */
  charset?: string
  /** `boundary` parameter of multipart bodies, when given. */
  boundary?: string
}

const NONE: ContentType = { media: '', kind: 'none' }

function kindOf(media: string): BodyKind {
  if (media === '') return 'none'
  if (media === 'application/json' || media.endsWith('+json')) return 'json'
  if (media === 'application/x-www-form-urlencoded') return 'form'
  if (media === 'multipart/form-data') return 'multipart'
  if (media.startsWith('text/')) return 'text'
  if (media === 'application/octet-stream') return 'binary'
  return 'other'
}

const QUOTED_PAIR = /\\(.)/g

/** Removes the quotes (and quoted-pair escapes) of a header parameter value. */
export function unquote(value: string): string {
  if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) {
    return value.slice(1, -1).replace(QUOTED_PAIR, '$1')
  }
  return value
}

/** The last header parsed and its result (clients send the same header again and again). */
let lastHeader = ''
let lastType: ContentType = NONE

/** Parses a Content-Type header (`null`/empty → kind `none`). The result is shared: do not modify it. */
export function parseContentType(header: string | null): ContentType {
  if (!header) return NONE
  if (header === lastHeader) return lastType
  lastType = parse(header)
  lastHeader = header
  return lastType
}

function parse(header: string): ContentType {
  const semi = header.indexOf(';')
  const media = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase()
  const result: ContentType = { media, kind: kindOf(media) }
  if (semi < 0) return result
  for (const param of header.slice(semi + 1).split(';')) {
    const eq = param.indexOf('=')
    if (eq < 0) continue
    const name = param.slice(0, eq).trim().toLowerCase()
    if (name === 'charset') result.charset = unquote(param.slice(eq + 1).trim()).toLowerCase()
    else if (name === 'boundary') result.boundary = unquote(param.slice(eq + 1).trim())
  }
  return result
}

const UTF8: TextDecoder = new TextDecoder('utf-8', { fatal: true })
const decoders = new Map<string, TextDecoder>([
  ['utf-8', UTF8],
  ['utf8', UTF8],
])

/** The shared fatal decoder for a charset label; `undefined` when the label is unknown. */
export function decoderFor(charset: string | undefined): TextDecoder | undefined {
  if (charset === undefined) return UTF8
  let decoder = decoders.get(charset)
  if (decoder) return decoder
  try {
    decoder = new TextDecoder(charset, { fatal: true })
  } catch {
    return undefined
  }
  decoders.set(charset, decoder)
  return decoder
}

/** Decodes `bytes`; `undefined` when they are not valid in that encoding. A UTF-8 BOM is dropped. */
export function decodeText(decoder: TextDecoder, bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}
