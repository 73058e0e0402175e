/**
 * The sqlite database thread's message loop: one request at a time, in order; puts queued behind a
 * put are committed with it. Runs in the database thread (entry: sqlite-worker.ts).
 */
import type { PutOutcome, WorkerEnv, WorkerOps, WorkerRequest } from './sqlite-protocol.ts'

export function sqliteWorkerLoop<S>(env: WorkerEnv, ops: WorkerOps<S>): void {
  /**
   * Puts queued behind this one (sent while the last commit ran) join its transaction: one commit
   * (one WAL fsync) for all of them. Stops at the first other request, which runs after the commit.
   */
  function putTogether(first: Extract<WorkerRequest, { op: 'put' }>): WorkerRequest | undefined {
    const snap = ops.snapshot(false)
    const done: Array<{ rid: number; outcomes: PutOutcome[] }> = []
    let current: Extract<WorkerRequest, { op: 'put' }> | undefined = first
    let next: WorkerRequest | undefined
    try {
      ops.purgeAcked()
      if (first.expireBefore !== undefined) ops.expirePending(first.expireBefore)
      while (current !== undefined) {
        done.push({ rid: current.rid, outcomes: ops.put(current.items) })
        current = undefined
        for (;;) {
          const m = env.receive(env.port)?.message as WorkerRequest | undefined
          if (m === undefined) break
          if (m.op === 'release') {
            ops.release(m.ids)
            continue
          }
          if (m.op === 'put') current = m
          else next = m
          break
        }
      }
      ops.db.commitAll()
    } catch (error) {
      ops.db.rollbackAll()
      ops.restore(snap)
      for (const d of done) ops.replyError(d.rid, error)
      if (current !== undefined) ops.replyError(current.rid, error)
      return next
    }
    for (const d of done) ops.reply({ rid: d.rid, ok: true, outcomes: d.outcomes })
    return next
  }

  function handle(msg: WorkerRequest): void {
    if (msg.op === 'release') {
      ops.release(msg.ids)
      return
    }
    if (msg.op === 'put') {
      const next = putTogether(msg)
      if (next !== undefined) handle(next)
      return
    }
    const snap = ops.snapshot(true)
    try {
      switch (msg.op) {
        case 'read': {
          const entries = ops.read(msg.max, msg.expireBefore, msg.hotFrom ?? Number.MAX_SAFE_INTEGER)
          ops.db.commitAll()
          ops.warn(ops.db.dropEmptyFiles())
          ops.reply({ rid: msg.rid, ok: true, entries })
          break
        }
        case 'ack':
          ops.purgeAcked()
          try {
            ops.ack(msg.ids)
            ops.db.commitAll()
          } catch (error) {
            // a full or failing disk must not make delivered records be sent again and again
            ops.db.rollbackAll()
            ops.restore(snap)
            ops.ackInMemory(msg.ids)
            ops.warnAckKept(msg.ids.length, error)
          }
          ops.warn(ops.db.dropEmptyFiles())
          ops.reply({ rid: msg.rid, ok: true })
          break
        case 'expire': {
          const count = ops.expirePending(msg.expireBefore)
          ops.db.commitAll()
          ops.warn(ops.db.dropEmptyFiles())
          ops.reply({ rid: msg.rid, ok: true, count })
          break
        }
        case 'inspect': {
          const pragmas = ops.db.files.map((f) => ({
            file: f.path,
            synchronous: Number(f.db.pragma('synchronous', { simple: true })),
            journalMode: String(f.db.pragma('journal_mode', { simple: true })),
          }))
          ops.reply({ rid: msg.rid, ok: true, pragmas })
          break
        }
        case 'close':
          ops.db.closeAll()
          ops.reply({ rid: msg.rid, ok: true })
          env.port.close()
          break
      }
    } catch (error) {
      ops.db.rollbackAll()
      ops.restore(snap)
      ops.replyError(msg.rid, error)
    }
  }

  env.port.on('message', handle)
}
