/** Loading a `file` backend's folder at open: segments, ack state, corrupt lines. */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from './logger.ts'
import { isAcked, readAckState } from './file-acks.ts'
import { scanSegment, segmentName, segmentSeq } from './file-format.ts'

/** One record held in memory: its JSON text, parsed only when read. */
export interface FileEntry {
  id: number
  seq: number
  json: string
  receivedAt: number
  inFlight: boolean
}

/** One segment file. `fh` is open only for the segment being appended to. */
export interface Segment {
  seq: number
  path: string
  /** Lines in the file, corrupt ones included (rotation counts them). */
  lines: number
  /** Records in it that are neither acked nor dropped. */
  live: number
  /** Byte length of the file. */
  bytes: number
  /** Never appended to again (an earlier write could not be rolled back). */
  sealed: boolean
}

export interface LoadedFolder {
  /** Un-acked records in id order. */
  entries: FileEntry[]
  segments: Segment[]
  /** Acked ids still present in segment files (kept so the next ack state still covers them). */
  ackedOnDisk: number[]
  ackedBelow: number
  nextId: number
  corrupt: number
  /** Byte length the last segment must be cut to because its tail is torn (undefined: intact). */
  truncateLastTo?: number
}

/** Reads every segment of `dir` in order, skipping acked and corrupt records. */
export async function loadFolder(dir: string, logger: Logger): Promise<LoadedFolder> {
  const acks = await readAckState(dir, (reason) =>
    logger.warn(`file storage: ${join(dir, 'acks.json')} is damaged (${reason}); acked records may be sent again`),
  )
  const seqs = (await readdir(dir))
    .map(segmentSeq)
    .filter((s): s is number => s !== undefined)
    .toSorted((a, b) => a - b)

  const entries: FileEntry[] = []
  const segments: Segment[] = []
  const ackedOnDisk: number[] = []
  let maxId = 0
  let corrupt = 0
  let truncateLastTo: number | undefined
  const seen = new Set<number>()

  for (const [index, seq] of seqs.entries()) {
    const path = join(dir, segmentName(seq))
    const buf = await readFile(path)
    const scan = scanSegment(buf)
    const segment: Segment = { seq, path, lines: scan.lines, live: 0, bytes: buf.length, sealed: false }
    for (const m of scan.malformed) if (m.id > maxId) maxId = m.id
    for (const rec of scan.records) {
      if (rec.id > maxId) maxId = rec.id
      if (seen.has(rec.id)) continue
      seen.add(rec.id)
      if (isAcked(acks, rec.id)) {
        if (rec.id >= acks.ackedBelow) ackedOnDisk.push(rec.id)
        continue
      }
      entries.push({ id: rec.id, seq, json: rec.json, receivedAt: rec.receivedAt, inFlight: false })
      segment.live++
    }
    for (const m of scan.malformed.slice(0, 5)) {
      logger.warn({ path, id: m.id }, `file storage: skipped malformed record ${m.id} in ${path} (${m.reason}); the records around it are kept`)
    }
    if (scan.malformed.length > 5) logger.warn({ path }, `file storage: skipped ${scan.malformed.length - 5} more malformed record(s) in ${path}`)
    if (scan.corrupt > 0) {
      corrupt += scan.corrupt
      logger.warn(
        {
          path,
          corrupt: scan.corrupt,
        },
        `file storage: skipped ${scan.corrupt} corrupt record(s) in ${path}; the records around them are kept`,
      )
    }
    if (index === seqs.length - 1 && scan.cleanLength < buf.length) {
      truncateLastTo = scan.cleanLength
      segment.bytes = scan.cleanLength
    }
    segments.push(segment)
  }

  entries.sort((a, b) => a.id - b.id)
  const nextId = Math.max(maxId + 1, acks.nextId, (acks.ranges.at(-1)?.[1] ?? 0) + 1, acks.ackedBelow)
  return { entries, segments, ackedOnDisk, ackedBelow: acks.ackedBelow, nextId, corrupt, truncateLastTo }
}
