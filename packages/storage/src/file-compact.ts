/**
 * Id compaction of the `file` backend. Ids come from the files (the highest id stored, acks.json's
 * `nextId`); files that hold a huge id (hand-edited, damaged, hostile: e.g. Number.MAX_SAFE_INTEGER)
 * would make the next ids pass 2^53, where JavaScript numbers can no longer tell them apart, and new
 * records would collide. At open, when the next id is at or above `ID_COMPACT_AT`, the un-acked
 * records are written again, in order, with the ids 1..n, and the old segments are replaced:
 *
 *   1. `compact.tmp` is written and fdatasync'ed, then renamed to `compact.log` and the folder
 *      fsync'ed: from here on the compaction is committed;
 *   2. every `data_*.log` is deleted, acks.json reset, `compact.log` renamed to the first segment,
 *      and the folder fsync'ed.
 *
 * A crash before 1 leaves the old files (and a `compact.tmp`, deleted at the next open); a crash
 * during 2 leaves `compact.log`, and the next open finishes step 2. No record is lost or doubled.
 */
import { open, readdir, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { emptyAckState, syncDir, writeAckState } from './file-acks.ts'
import { encodeLine, segmentName, segmentSeq } from './file-format.ts'

export { ID_COMPACT_AT } from './ids.ts'

const TMP = 'compact.tmp'
const DONE = 'compact.log'

/** Finishes (or discards) a compaction a crash interrupted. Returns true when one was finished. */
export async function recoverCompaction(dir: string): Promise<boolean> {
  const names = await readdir(dir)
  if (names.includes(TMP)) await unlink(join(dir, TMP))
  if (!names.includes(DONE)) return false
  await finish(dir, names)
  return true
}

async function finish(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) if (segmentSeq(name) !== undefined) await unlink(join(dir, name))
  await writeAckState(dir, emptyAckState())
  await rename(join(dir, DONE), join(dir, segmentName(1)))
  await syncDir(dir)
}

/** Rewrites the un-acked records (`jsons`, in id order) with the ids 1..n, replacing every segment. */
export async function compactIds(dir: string, jsons: readonly string[]): Promise<void> {
  const fh = await open(join(dir, TMP), 'w')
  try {
    const chunk: string[] = []
    for (const [i, json] of jsons.entries()) {
      chunk.push(encodeLine(i + 1, json))
      if (chunk.length === 1000) {
        await fh.write(chunk.join(''))
        chunk.length = 0
      }
    }
    if (chunk.length > 0) await fh.write(chunk.join(''))
    await fh.datasync()
  } finally {
    await fh.close()
  }
  await rename(join(dir, TMP), join(dir, DONE))
  await syncDir(dir)
  await finish(dir, await readdir(dir))
}
