/**
 * tb_gateway.json's `storage` section (normalised by @restgate/config) → an outbox storage backend
 * of @restgate/storage. The backends own their defaults: a key the file does not set is passed on
 * as undefined and the backend applies its own. Each backend module is loaded only when named, so
 * a memory gateway never loads better-sqlite3.
 */
import type { StorageConfig } from '@restgate/config'
import { StorageError, type Logger, type StorageBackend } from '@restgate/storage'

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

/** `undefined` stays undefined (the backend's default applies). */
const scaled = (value: number | undefined, unit: number): number | undefined => (value === undefined ? undefined : value * unit)

/** Opens the backend the storage section names. */
export async function openGatewayStorage(config: StorageConfig, logger: Logger): Promise<StorageBackend> {
  const fullPolicy = config.fullPolicy
  switch (config.type) {
    case 'memory': {
      const { createMemoryStorage } = await import('@restgate/storage/memory')
      return createMemoryStorage({ maxRecords: config.maxRecordsCount, fullPolicy, logger })
    }
    case 'file': {
      const { createFileStorage } = await import('@restgate/storage/file')
      return createFileStorage({
        dir: config.dataFolderPath,
        maxFileCount: config.maxFileCount,
        maxRecordsPerFile: config.maxRecordsPerFile,
        fullPolicy,
        logger,
      })
    }
    case 'sqlite': {
      const { createSqliteStorage } = await import('@restgate/storage/sqlite')
      return createSqliteStorage({
        path: config.dataFilePath,
        sizeLimitMb: config.sizeLimit,
        maxDbAmount: config.maxDbAmount,
        ttlMs: scaled(config.messagesTtlInDays, DAY_MS),
        ttlCheckIntervalMs: scaled(config.messagesTtlCheckInHours, HOUR_MS),
        fullPolicy,
        logger,
      })
    }
    default:
      throw new StorageError('INVALID_OPTIONS', `storage.type: expected one of memory, file, sqlite; got ${JSON.stringify((config as { type: unknown }).type)}`)
  }
}
