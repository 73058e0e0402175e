/**
 * Appending to the `file` backend's segments: one write + one fdatasync per touched segment per
 * group commit, rotation at `maxRecordsPerFile`, and rollback (truncate to the previous length)
 * when a write fails, so a failed write never leaves a torn line in front of later records.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { Segment } from './file-load.ts'
import { segmentName } from './file-format.ts'
import { syncDir } from './file-acks.ts'

export interface SegmentWriter {
  /**
   * Appends encoded lines; returns the segment seq of each line. Durable once resolved. The lines
   * are counted in their segment's `live` from the moment they are written (undone on failure).
   */
  append(lines: string[]): Promise<number[]>
  /** The segment new lines go to (undefined until the first write or after a seal). */
  activeSeq(): number | undefined
  readonly fsyncs: number
  close(): Promise<void>
}

interface Touched {
  segment: Segment
  fh: FileHandle
  before: number
  beforeLines: number
  /** Lines written to it by this append (already counted in `segment.live`). */
  written: number
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let offset = 0
  while (offset < buf.length) {
    const { bytesWritten } = await fh.write(buf, offset, buf.length - offset)
    offset += bytesWritten
  }
}

/**
 * How written data reaches stable storage. Injectable (`FileStorageOptions.sync`) so a test can
 * observe that a put resolves only after its bytes were synced; the default is the real thing.
 */
export interface FileSync {
  /** Makes the bytes written to a segment durable. @default `fh.datasync()` (fdatasync) */
  data(fh: FileHandle, path: string): Promise<void>
  /** Makes a new segment's folder entry durable. @default fsync of the folder */
  dir(dir: string): Promise<void>
}

export const defaultFileSync: FileSync = {
  data: (fh) => fh.datasync(),
  dir: syncDir,
}

export function createSegmentWriter(dir: string, segments: Segment[], maxRecordsPerFile: number, sync: FileSync = defaultFileSync): SegmentWriter {
  let fh: FileHandle | undefined
  let fhSeq: number | undefined
  let fsyncs = 0

  const last = (): Segment | undefined => segments[segments.length - 1]

  /** The segment to append to, rotating when the last one is full. `busy` handles stay open (not yet synced). */
  async function ensureActive(created: { value: boolean }, busy: Map<FileHandle, string>): Promise<{ segment: Segment; fh: FileHandle }> {
    let segment = last()
    const rotate = segment === undefined || segment.sealed || segment.lines >= maxRecordsPerFile
    if (!rotate && fh !== undefined && fhSeq === segment?.seq) return { segment: segment as Segment, fh }
    const prev = fh
    fh = undefined
    fhSeq = undefined
    if (prev !== undefined && !busy.has(prev)) await prev.close().catch(() => {})
    if (rotate) {
      const seq = (segment?.seq ?? 0) + 1
      const fresh: Segment = { seq, path: join(dir, segmentName(seq)), lines: 0, live: 0, bytes: 0, sealed: false }
      const handle = await open(fresh.path, 'a')
      segments.push(fresh)
      created.value = true
      segment = fresh
      fh = handle
    } else {
      fh = await open((segment as Segment).path, 'a')
    }
    fhSeq = (segment as Segment).seq
    return { segment: segment as Segment, fh }
  }

  async function closeHandle(): Promise<void> {
    const h = fh
    fh = undefined
    fhSeq = undefined
    if (h !== undefined) await h.close().catch(() => {})
  }

  async function rollback(touched: Touched[]): Promise<void> {
    for (const t of touched) {
      t.segment.live -= t.written
      try {
        await t.fh.truncate(t.before)
        t.segment.bytes = t.before
        t.segment.lines = t.beforeLines
      } catch {
        // cannot cut the partial write off: never append behind it
        t.segment.sealed = true
        if (fhSeq === t.segment.seq) await closeHandle()
      }
    }
  }

  return {
    async append(lines: string[]): Promise<number[]> {
      const seqs: number[] = []
      const touched: Touched[] = []
      const created = { value: false }
      const handles = new Map<FileHandle, string>()
      try {
        let i = 0
        while (i < lines.length) {
          const { segment, fh: handle } = await ensureActive(created, handles)
          const take = Math.min(maxRecordsPerFile - segment.lines, lines.length - i)
          const buf = Buffer.from(lines.slice(i, i + take).join(''), 'utf8')
          const t: Touched = { segment, fh: handle, before: segment.bytes, beforeLines: segment.lines, written: 0 }
          touched.push(t)
          handles.set(handle, segment.path)
          // counted as live before the write: a concurrent ack must never see this segment as drained
          segment.live += take
          t.written = take
          await writeAll(handle, buf)
          segment.bytes += buf.length
          segment.lines += take
          for (let k = 0; k < take; k++) seqs.push(segment.seq)
          i += take
        }
        for (const [h, path] of handles) {
          await sync.data(h, path)
          fsyncs++
        }
        if (created.value) {
          await sync.dir(dir)
          fsyncs++
        }
      } catch (error) {
        await rollback(touched)
        throw error
      } finally {
        // handles of segments rotated away from during this append are no longer needed
        for (const h of handles.keys()) if (h !== fh) await h.close().catch(() => {})
      }
      return seqs
    },
    activeSeq(): number | undefined {
      const segment = last()
      return segment === undefined || segment.sealed ? undefined : segment.seq
    },
    get fsyncs(): number {
      return fsyncs
    },
    close: closeHandle,
  }
}
