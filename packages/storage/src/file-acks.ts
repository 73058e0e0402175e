/**
 * The `file` backend's ack state: `acks.json` in the data folder, replaced atomically (write a temp
 * file, fsync, rename, fsync the folder), so it is always either the old or the new state.
 *
 * It says which ids are gone: every id below `ackedBelow`, plus the id `ranges` above it (acks can
 * arrive out of order). `nextId` is the next id to hand out, so ids are never reused after a
 * restart, even when every segment has been deleted.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'

export const ACK_FILE = 'acks.json'
const ACK_TMP = 'acks.json.tmp'

export interface AckState {
  nextId: number
  ackedBelow: number
  /** Sorted, disjoint, inclusive ranges of acked ids above `ackedBelow`. */
  ranges: Array<[number, number]>
}

export const emptyAckState = (): AckState => ({ nextId: 1, ackedBelow: 1, ranges: [] })

/** Reads `acks.json`; a missing file is the empty state, a damaged one is reported via `onDamaged`. */
export async function readAckState(dir: string, onDamaged: (reason: string) => void): Promise<AckState> {
  let text: string
  try {
    text = await readFile(join(dir, ACK_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyAckState()
    throw error
  }
  try {
    const raw = JSON.parse(text) as Partial<AckState> & { v?: number }
    const nextId = raw.nextId
    const ackedBelow = raw.ackedBelow
    const ranges = raw.ranges
    if (
      !Number.isSafeInteger(nextId) ||
      !Number.isSafeInteger(ackedBelow) ||
      !Array.isArray(ranges) ||
      !ranges.every((r) => Array.isArray(r) && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]))
    ) {
      throw new Error('unexpected shape')
    }
    return { nextId: nextId as number, ackedBelow: ackedBelow as number, ranges: ranges.toSorted((a, b) => a[0] - b[0]) }
  } catch (error) {
    onDamaged((error as Error).message)
    return emptyAckState()
  }
}

/** True when `id` is acked according to `state`. */
export function isAcked(state: AckState, id: number): boolean {
  if (id < state.ackedBelow) return true
  const ranges = state.ranges
  let lo = 0
  let hi = ranges.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const r = ranges[mid] as [number, number]
    if (id < r[0]) hi = mid - 1
    else if (id > r[1]) lo = mid + 1
    else return true
  }
  return false
}

/** Compacts acked ids (any order) above `floor` into sorted inclusive ranges. */
export function toRanges(ids: Iterable<number>, floor: number): Array<[number, number]> {
  const sorted = [...ids].filter((id) => id >= floor).toSorted((a, b) => a - b)
  const out: Array<[number, number]> = []
  for (const id of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && id <= last[1] + 1) last[1] = Math.max(last[1], id)
    else out.push([id, id])
  }
  return out
}

/** Replaces `acks.json` durably (temp file + fsync + rename + folder fsync). */
export async function writeAckState(dir: string, state: AckState): Promise<void> {
  const tmp = join(dir, ACK_TMP)
  const text = JSON.stringify({ v: 1, nextId: state.nextId, ackedBelow: state.ackedBelow, ranges: state.ranges })
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(text)
    await fh.sync()
  } catch (error) {
    await fh.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    throw error
  }
  await fh.close()
  await rename(tmp, join(dir, ACK_FILE))
  await syncDir(dir)
}

/** Makes a folder's entries (created, renamed, deleted files) durable. */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const dh = await open(dir, 'r')
  try {
    await dh.sync()
  } finally {
    await dh.close()
  }
}
