/**
 * `@restgate/storage`: the contract every outbox storage backend implements. The backends are
 * subpath exports (`@restgate/storage/memory`, `/file`, `/sqlite`), so importing one never loads
 * another (only `/sqlite` needs better-sqlite3); the conformance suite is `@restgate/storage/testing`
 * (it imports vitest).
 */
export { StorageError, StorageFullError } from './errors.ts'
export type { StorageErrorCode } from './errors.ts'
export type { Logger } from './logger.ts'
export type { BackendOptions, FullPolicy, StorageBackend, StorageStats, StoredEntry, StoredRecord } from './types.ts'
