export { OutboxFullError, StorageFullError, TbClientError } from './errors.ts'
export type { TbClientErrorCode } from './errors.ts'
export type { Logger } from './logger.ts'
export { createStorage, storageSettingsDefaults } from './storage/index.ts'
export type { StorageSettings } from './storage/index.ts'
export { createMemoryStorage, memoryStorageDefaults } from './storage/memory.ts'
export type { MemoryStorageOptions } from './storage/memory.ts'
export type {
  BackendOptions,
  FileStorageOptions,
  FullPolicy,
  SqliteStorageOptions,
  StorageBackend,
  StorageStats,
  StoredEntry,
  StoredRecord,
} from './storage/types.ts'
