export { OutboxFullError, StorageFullError, TbClientError } from './errors.ts'
export type { TbClientErrorCode } from './errors.ts'
export type { Logger } from './logger.ts'
// the storage contract (backends: @restgate/storage/memory, /file, /sqlite)
export type { StorageBackend, StorageStats, StoredEntry, StoredRecord } from '@restgate/storage'
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
