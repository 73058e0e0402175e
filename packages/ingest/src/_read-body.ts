/**
 * Reads a request body up to a byte limit while it streams in, without buffering more than the
 * limit and without destroying the connection on overflow (so a 413 can still be answered).
 */
import type { IncomingMessage } from 'node:http'
import type { H3Event } from 'h3'

export type ReadResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too-large' | 'aborted' }

const EMPTY_BODY: ReadResult = { ok: true, bytes: new Uint8Array(0) }
const TOO_LARGE: ReadResult = { ok: false, reason: 'too-large' }
const ABORTED: ReadResult = { ok: false, reason: 'aborted' }

function finish(chunks: Uint8Array[], total: number): ReadResult {
  if (chunks.length === 1) return { ok: true, bytes: chunks[0] as Uint8Array }
  return { ok: true, bytes: Buffer.concat(chunks, total) }
}

async function readNode(req: IncomingMessage, limit: number): Promise<ReadResult> {
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    // destroyOnReturn: false keeps the socket usable for the 413 answer when we stop early.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      total += chunk.byteLength
      if (total > limit) return TOO_LARGE
      chunks.push(chunk)
    }
  } catch {
    return ABORTED
  }
  return total === 0 ? EMPTY_BODY : finish(chunks, total)
}

async function readWeb(stream: ReadableStream<Uint8Array>, limit: number): Promise<ReadResult> {
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

/**
 * Reads the body of `event` (Node's request stream when served by Node, else the web stream).
 * A Content-Length over the limit is refused before reading anything.
 */
export function readBody(event: H3Event, limit: number, contentLength: number | undefined): Promise<ReadResult> | ReadResult {
  if (contentLength !== undefined) {
    if (contentLength > limit) return TOO_LARGE
    if (contentLength === 0) return EMPTY_BODY
  }
  const node = event.runtime?.node?.req as IncomingMessage | undefined
  if (node) return node.readableEnded ? EMPTY_BODY : readNode(node, limit)
  const stream = event.req.body
  return stream ? readWeb(stream, limit) : EMPTY_BODY
}
