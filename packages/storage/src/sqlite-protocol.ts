/** Messages between the sqlite facade (main thread) and its database worker thread. */
import type BetterSqlite3 from 'better-sqlite3'
import type { MessagePort } from 'node:worker_threads'
import type { DbFiles } from './sqlite-worker-files.ts'
import type { SalvageResult, SalvageTarget } from './sqlite-worker-salvage.ts'
import type { FullPolicy, StoredRecord } from './types.ts'

/** What the worker's entry (sqlite-worker.ts) hands the parts of the database thread. */
export interface WorkerEnv {
  port: MessagePort
  init: WorkerInit
  Database: typeof BetterSqlite3
  fs: typeof import('node:fs')
  path: typeof import('node:path')
  /** `receiveMessageOnPort` of node:worker_threads: the next queued message, if any, without waiting. */
  receive: (port: MessagePort) => { message: unknown } | undefined
  /** `sqliteWorkerSalvage` (sqlite-worker-salvage.ts). */
  salvage: (env: WorkerEnv, file: string, openFresh: () => SalvageTarget) => SalvageResult
}

export interface WorkerInit {
  /** Folder of the database files. */
  dir: string
  /** File name stem: `<stem>.db`, then `<stem>_<n>.db` after rotation. */
  stem: string
  sizeLimitBytes: number
  maxDbAmount: number
  maxRecords: number
  fullPolicy: FullPolicy
  /** Records with `receivedAt` below this are expired at open (TTL). */
  expireBefore?: number
}

/** One `put()` call: its records as [receivedAt, JSON] pairs. */
export type PutRows = Array<[receivedAt: number, json: string]>

export type WorkerRequest =
  | { op: 'put'; rid: number; items: PutRows[]; expireBefore?: number }
  /** `hotFrom`: records with an id from there on are held by the main thread: send their ids only. */
  | { op: 'read'; rid: number; max: number; expireBefore?: number; hotFrom?: number }
  | { op: 'ack'; rid: number; ids: number[] }
  | { op: 'release'; ids: number[] }
  | { op: 'expire'; rid: number; expireBefore: number }
  | { op: 'close'; rid: number }
  /** The durability settings of every open database, as the database thread's connections see them. */
  | { op: 'inspect'; rid: number }

/** Totals after every operation; the facade mirrors them for `size()` and `stats()`. */
export interface WorkerCounters {
  rows: number
  bytes: number
  files: number
  droppedOldest: number
  expired: number
  corruptSkipped: number
  transactions: number
}

/** Per `put()` outcome: stored with consecutive ids from `id`, or why it was refused. */
export type PutOutcome = { id: number } | { full: string }

export interface WorkerReply {
  rid: number
  ok: boolean
  counters: WorkerCounters
  /** put: one outcome per item. */
  outcomes?: PutOutcome[]
  /** read: the entries (without `record` from `hotFrom` on). */
  entries?: Array<{ id: number; record?: StoredRecord }>
  /** expire: how many were removed. */
  count?: number
  /** ok false: what failed. */
  error?: { message: string; code?: string; file?: string }
  /** Things to log on the main thread. */
  warnings?: string[]
  /** inspect: per database file. */
  pragmas?: SqlitePragmas[]
}

/** Durability settings of one database file (`PRAGMA synchronous`: 2 = FULL; `PRAGMA journal_mode`). */
export interface SqlitePragmas {
  file: string
  synchronous: number
  journalMode: string
}

/** What the database thread's state (sqlite-worker.ts) offers its message loop (sqlite-worker-loop.ts). */
export interface WorkerOps<S> {
  db: DbFiles
  put(items: PutRows[]): PutOutcome[]
  read(max: number, expireBefore: number | undefined, hotFrom: number): NonNullable<WorkerReply['entries']>
  ack(ids: number[]): void
  release(ids: number[]): void
  expirePending(before: number): number
  purgeAcked(): void
  ackInMemory(ids: number[]): void
  warnAckKept(count: number, error: unknown): void
  /** Memory state to put back when a transaction rolls back (`withInFlight` for requests that change it). */
  snapshot(withInFlight: boolean): S
  restore(snap: S): void
  reply(r: Omit<WorkerReply, 'counters'>): void
  replyError(rid: number, error: unknown, fallbackFile?: string): void
  /** Lines to log on the main thread with the next reply. */
  warn(lines: string[]): void
}
