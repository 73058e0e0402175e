/**
 * On-disk format of the `file` backend.
 *
 * A segment file `data_<seq>.log` holds one record per line:
 *
 *     <crc32 of the rest, 8 lowercase hex digits> <id> <record as JSON>\n
 *
 * JSON never contains a raw newline, so a line is a record. A line whose CRC does not match, that
 * does not parse, or that lacks its final newline (a torn write) is corrupt: it is skipped and
 * counted, and the lines after it still load. A line that passes those checks but does not hold a
 * StoredRecord (wrong field types) is malformed: skipped, counted and reported with its id and why.
 */
import { crc32 } from 'node:zlib'
import { malformedReason } from './record.ts'

/** Segment file name for a sequence number: zero-padded so names sort like numbers. */
export function segmentName(seq: number): string {
  return `data_${String(seq).padStart(10, '0')}.log`
}

const SEGMENT_RE = /^data_(\d{1,16})\.log$/

/** The sequence number of a segment file name, or undefined for any other file. */
export function segmentSeq(fileName: string): number | undefined {
  const m = SEGMENT_RE.exec(fileName)
  return m ? Number(m[1]) : undefined
}

/** One encoded line (with its newline). */
export function encodeLine(id: number, json: string): string {
  const body = `${id} ${json}`
  return `${crc32(body).toString(16).padStart(8, '0')} ${body}\n`
}

export interface DecodedLine {
  id: number
  json: string
  /** The record's `receivedAt` (0 when missing), for TTL. */
  receivedAt: number
}

const SPACE = 0x20
const NEWLINE = 0x0a

/**
 * Result of scanning one segment: its valid lines, how many lines were corrupt, how many lines it
 * has in all (for rotation) and the byte length up to the last complete line (a torn tail is cut
 * there before the segment is appended to again).
 */
export interface ScanResult {
  records: DecodedLine[]
  /** Lines skipped: corrupt ones and malformed ones. */
  corrupt: number
  /** The malformed ones among them: intact lines whose record is not a StoredRecord. */
  malformed: Array<{ id: number; reason: string }>
  lines: number
  cleanLength: number
}

/** Splits a segment's bytes into records, checking each line's CRC. */
export function scanSegment(buf: Buffer): ScanResult {
  const records: DecodedLine[] = []
  const malformed: Array<{ id: number; reason: string }> = []
  let corrupt = 0
  let lines = 0
  let start = 0
  while (start < buf.length) {
    const end = buf.indexOf(NEWLINE, start)
    if (end === -1) {
      // torn tail: the last write never finished
      corrupt++
      lines++
      break
    }
    lines++
    const decoded = decodeLine(buf, start, end)
    if (decoded === undefined) corrupt++
    else if ('reason' in decoded) {
      corrupt++
      malformed.push(decoded)
    } else records.push(decoded)
    start = end + 1
  }
  const lastNewline = buf.lastIndexOf(NEWLINE)
  return { records, corrupt, malformed, lines, cleanLength: lastNewline + 1 }
}

function decodeLine(buf: Buffer, start: number, end: number): DecodedLine | { id: number; reason: string } | undefined {
  if (end - start < 12 || buf[start + 8] !== SPACE) return undefined
  const expected = Number.parseInt(buf.toString('latin1', start, start + 8), 16)
  const body = buf.subarray(start + 9, end)
  if (!Number.isFinite(expected) || crc32(body) !== expected) return undefined
  const space = body.indexOf(SPACE)
  if (space <= 0) return undefined
  const id = Number(body.toString('latin1', 0, space))
  if (!Number.isSafeInteger(id) || id < 1) return undefined
  const json = body.toString('utf8', space + 1)
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return undefined
  }
  const reason = malformedReason(parsed)
  if (reason !== undefined) return { id, reason }
  return { id, json, receivedAt: (parsed as { receivedAt: number }).receivedAt }
}
