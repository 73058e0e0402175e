/**
 * Reads a request body up to a byte limit while it streams in, without buffering more than the
 * limit and without destroying the connection on overflow (so a 413 can still be answered).
 */
import type { IncomingMessage } from 'node:http'

export type ReadResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too-large' | 'aborted' }

export const EMPTY_BODY: ReadResult = { ok: true, bytes: new Uint8Array(0) }
export const TOO_LARGE: ReadResult = { ok: false, reason: 'too-large' }
const ABORTED: ReadResult = { ok: false, reason: 'aborted' }

function finish(chunks: Uint8Array[], total: number): ReadResult {
  if (chunks.length === 1) return { ok: true, bytes: chunks[0] as Uint8Array }
  return { ok: true, bytes: Buffer.concat(chunks, total) }
}

/** A Content-Length over the limit is refused before reading anything; 0 is an empty body. */
export function checkLength(limit: number, contentLength: number | undefined): ReadResult | undefined {
  if (contentLength === undefined) return undefined
  if (contentLength > limit) return TOO_LARGE
  return contentLength === 0 ? EMPTY_BODY : undefined
}

/**
 * Node's request stream, read with 'data'/'end' listeners (one promise, no async iterator). Over
 * the limit the stream is paused, not destroyed, so the 413 can still be written.
 */
export function readNodeBody(req: IncomingMessage, limit: number): Promise<ReadResult> | ReadResult {
  if (req.readableEnded) return EMPTY_BODY
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let total = 0
    const done = (result: ReadResult): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onAbort)
      req.off('close', onAbort)
      resolve(result)
    }
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength
      if (total > limit) {
        req.pause()
        done(TOO_LARGE)
      } else chunks.push(chunk)
    }
    const onEnd = (): void => done(total === 0 ? EMPTY_BODY : finish(chunks, total))
    // an error, or a close before the end: the client went away mid-body
    const onAbort = (): void => done(ABORTED)
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onAbort)
    req.on('close', onAbort)
  })
}

/** A web stream (h3 outside Node, e.g. `app.request()` in tests). */
export async function readWebBody(stream: ReadableStream<Uint8Array>, limit: number): Promise<ReadResult> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > limit) {
        reader.releaseLock()
        return TOO_LARGE
      }
      chunks.push(value)
    }
  } catch {
    return ABORTED
  }
  return total === 0 ? EMPTY_BODY : finish(chunks, total)
}
