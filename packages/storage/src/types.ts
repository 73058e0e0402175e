/**
 * The storage contract behind the tb-client outbox. Implementations: memory, file, sqlite.
 * Every implementation runs the conformance suite exported from `@restgate/storage/testing`.
 */

import type { FileSync } from './file-writer.ts'
import type { Logger } from './logger.ts'

/** One unit of uplink data as the outbox stores it: one device's converted data. */
export interface StoredRecord {
  deviceName: string
  deviceType: string
  attributes?: Record<string, unknown>
  telemetry?: Array<{ ts: number; values: Record<string, unknown> }>
  /** Name of the connector the data came from (sent once per device as `connectorName`). */
  connectorName?: string
  /** Milliseconds since epoch when the record was accepted (TTL is measured from it). */
  receivedAt: number
}

export interface StoredEntry {
  /** Monotonic id, increasing in insertion order; unique within one backend for its lifetime. */
  id: number
  record: StoredRecord
}

export interface StorageBackend {
  /** Kind name for logs and stats: 'memory' | 'file' | 'sqlite'. */
  readonly kind: string
  /** Stores records. Resolves only once they are durable (for durable kinds). Rejects StorageFullError when full. */
  put(records: readonly StoredRecord[]): Promise<void>
  /** Up to `max` pending entries, oldest first; returned entries are in flight until acked or released. */
  read(max: number): Promise<StoredEntry[]>
  /** Removes entries for good (after ThingsBoard acknowledged them). Unknown ids are ignored. */
  ack(ids: readonly number[]): Promise<void>
  /** Puts in-flight entries back to pending (a publish failed), keeping their original order. */
  release(ids: readonly number[]): void
  /** Records stored and not yet acked (pending + in flight). */
  size(): number
  /** Counters: dropped by policy, expired by TTL, skipped as corrupt on load. */
  stats(): StorageStats
  close(): Promise<void>
}

export interface StorageStats {
  kind: string
  size: number
  droppedOldest: number
  expired: number
  corruptSkipped: number
}

/** What a bounded backend does when a `put` does not fit: reject it, or drop the oldest pending records. */
export type FullPolicy = 'reject' | 'dropOldest'

/**
 * Options every backend understands (the conformance suite passes these).
 *
 * Contract details the conformance suite checks:
 * - `put` is all-or-nothing. With `reject`, a put that would exceed `maxRecords` rejects with
 *   `StorageFullError` (code `STORAGE_FULL`) and stores none of its records. With `dropOldest`, the
 *   oldest PENDING records are dropped (counted in `stats().droppedOldest`) to make room; in-flight
 *   records are never dropped, so when dropping every pending record is not enough the put rejects
 *   with `StorageFullError` as well.
 * - TTL: a pending record with `now() - receivedAt > ttlMs` is removed instead of being read and is
 *   counted in `stats().expired`. In-flight records do not expire (they are being published);
 *   released ones can expire afterwards.
 * - Concurrent `put` calls are stored in call order.
 */
export interface BackendOptions {
  /** Capacity in records (pending + in flight). */
  maxRecords: number
  /** @default 'reject' */
  fullPolicy?: FullPolicy
  /** Records older than this (by `receivedAt`) are dropped instead of sent. No expiry when absent. */
  ttlMs?: number
  /** Injectable clock (ms since epoch). @default Date.now */
  now?: () => number
  /** @default debug/info silent, warn/error to console.error */
  logger?: Logger
}

/** Options of `createFileStorage` (`@restgate/storage/file`). */
export interface FileStorageOptions extends Omit<BackendOptions, 'maxRecords'> {
  /** Capacity in records. @default maxFileCount × maxRecordsPerFile (the capacity is never above that) */
  maxRecords?: number
  /** Folder that holds the data files (absolute; created when missing). */
  dir: string
  /** @default 10 */
  maxFileCount?: number
  /** @default 10000 */
  maxRecordsPerFile?: number
  /**
   * How written records reach stable storage (fdatasync of the segment, fsync of the folder for a
   * new segment). For tests that observe durability; leave it out otherwise. @default the real syncs
   */
  sync?: FileSync
}

/** Options of `createSqliteStorage` (`@restgate/storage/sqlite`). */
export interface SqliteStorageOptions extends Omit<BackendOptions, 'maxRecords'> {
  /** Capacity in records; the real bound is sizeLimitMb × maxDbAmount. @default Number.MAX_SAFE_INTEGER (no record cap) */
  maxRecords?: number
  /** Folder (database `data.db` inside) or a file path ending in `.db` (absolute). */
  path: string
  /** Megabytes per database file before a new one is started. @default 1024 */
  sizeLimitMb?: number
  /** @default 10 */
  maxDbAmount?: number
  /** How often expired records are purged, in ms. @default 3600000 */
  ttlCheckIntervalMs?: number
  /**
   * Records kept in memory after they were stored, so the outbox sends them without reading them
   * back from the database (only their ids cross to the database thread). Older ones are read back.
   * 0 disables the cache. @default 10000
   */
  cacheRecords?: number
}
