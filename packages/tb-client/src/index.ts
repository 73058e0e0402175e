export { OutboxFullError, StorageFullError, TbClientError } from './errors.ts'
export type { TbClientErrorCode } from './errors.ts'
export type { Logger } from './logger.ts'
export { createStorage, storageSettingsDefaults } from './storage/index.ts'
export type { StorageSettings } from './storage/index.ts'
export { createMemoryStorage, memoryStorageDefaults } from './storage/memory.ts'
export type { MemoryStorageOptions } from './storage/memory.ts'
export { createFileStorage, fileStorageDefaults } from './storage/file.ts'
export type { FileStorage, FileStorageStats } from './storage/file.ts'
export { createSqliteStorage, sqliteStorageDefaults } from './storage/sqlite.ts'
export type { SqliteStorage, SqliteStorageStats } from './storage/sqlite.ts'
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
export { createTbClient } from './client/client.ts'
export { tbClientDefaults } from './client/options.ts'
export type { TbClientOptions, TbSecurity } from './client/options.ts'
export type {
  AttributeUpdateEvent,
  ConnectEvent,
  DisconnectEvent,
  GatewayRpcEvent,
  RpcEvent,
  TbClient,
  TbClientEventName,
  TbClientEvents,
  TbClientStats,
  UplinkRecordInput,
} from './client/types.ts'
export { toAttributeRequestMessage, toGatewayMessages } from './client/to-gateway-messages.ts'
export type { GatewayMessage, GatewayMessages, ToGatewayMessagesOptions } from './client/to-gateway-messages.ts'
