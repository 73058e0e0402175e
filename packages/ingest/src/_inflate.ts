/**
 * `Content-Encoding` of request bodies: `gzip` (`x-gzip`) and `deflate` (zlib-wrapped, or raw
 * deflate as some clients send it) are inflated by node:zlib off the main thread, streaming, and
 * stopped as soon as the inflated size passes the body limit (no zip bombs: the limit is on what
 * the body inflates to, and no more than the limit is ever held); `identity` (or none) passes;
 * any other coding, or a list of codings, is refused with a 415 by the caller.
 */
import { gunzip, inflate, inflateRaw, type InputType, type ZlibOptions } from 'node:zlib'

export type Coding = 'identity' | 'gzip' | 'deflate'

/** The coding of a `Content-Encoding` header; `undefined` when it is not one we inflate. */
export function codingOf(header: string | null): Coding | undefined {
  if (header === null) return 'identity'
  const value = header.trim().toLowerCase()
  if (value === '' || value === 'identity') return 'identity'
  if (value === 'gzip' || value === 'x-gzip') return 'gzip'
  if (value === 'deflate') return 'deflate'
  return undefined
}

export type InflateResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too-large' | 'corrupt'; message: string }

type Inflater = (input: InputType, options: ZlibOptions, callback: (error: Error | null, result: Buffer) => void) => void

function run(fn: Inflater, bytes: Uint8Array, limit: number): Promise<InflateResult> {
  return new Promise((resolve) => {
    // maxOutputLength: zlib stops (and fails with ERR_BUFFER_TOO_LARGE) once the output passes it
    fn(bytes, { maxOutputLength: Math.max(1, limit) }, (error, result) => {
      if (error === null) resolve({ ok: true, bytes: result })
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') resolve({ ok: false, reason: 'too-large', message: error.message })
      else resolve({ ok: false, reason: 'corrupt', message: error.message })
    })
  })
}

/** A zlib stream header (RFC 1950): CM 8 and a check value that divides by 31. */
function hasZlibHeader(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 2) return false
  const cmf = bytes[0] as number
  const flg = bytes[1] as number
  return (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0
}

/** Inflates `bytes` (not empty) by `coding`, refusing output over `limit` bytes. */
export function inflateBody(coding: 'gzip' | 'deflate', bytes: Uint8Array, limit: number): Promise<InflateResult> {
  if (coding === 'gzip') return run(gunzip, bytes, limit)
  return run(hasZlibHeader(bytes) ? inflate : inflateRaw, bytes, limit)
}
