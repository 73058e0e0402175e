import { TbClientError } from '../errors.ts'
import { defaultLogger, type Logger } from '../logger.ts'
import { createMemoryStorage } from './memory.ts'
import type { FullPolicy, StorageBackend } from './types.ts'

/** The storage section of tb_gateway.json (normalised `StorageConfig` from @restgate/config, structurally). */
export interface StorageSettings {
  type: 'memory' | 'file' | 'sqlite'
  /** memory: capacity in records. @default 100000 */
  maxRecordsCount?: number
  /** file: folder (absolute). */
  dataFolderPath?: string
  /** file. @default 10 */
  maxFileCount?: number
  /** file. @default 10000 */
  maxRecordsPerFile?: number
  /** sqlite: folder or `.db` file (absolute). */
  dataFilePath?: string
  /** sqlite. @default 7 */
  messagesTtlInDays?: number
  /** sqlite. @default 1 */
  messagesTtlCheckInHours?: number
  /** sqlite: MB per database file. @default 1024 */
  sizeLimit?: number
  /** sqlite. @default 10 */
  maxDbAmount?: number
  /** @default 'reject' */
  fullPolicy?: FullPolicy
}

export const storageSettingsDefaults: Required<Omit<StorageSettings, 'type' | 'dataFolderPath' | 'dataFilePath'>> = {
  maxRecordsCount: 100_000,
  maxFileCount: 10,
  maxRecordsPerFile: 10_000,
  messagesTtlInDays: 7,
  messagesTtlCheckInHours: 1,
  sizeLimit: 1024,
  maxDbAmount: 10,
  fullPolicy: 'reject',
}

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

/**
 * Opens the backend a storage config names. `file` and `sqlite` load their modules lazily, so the
 * memory path never loads better-sqlite3.
 */
export async function createStorage(config: StorageSettings, logger: Logger = defaultLogger): Promise<StorageBackend> {
  const d = storageSettingsDefaults
  const fullPolicy = config.fullPolicy ?? d.fullPolicy
  switch (config.type) {
    case 'memory':
      return createMemoryStorage({ maxRecords: config.maxRecordsCount ?? d.maxRecordsCount, fullPolicy, logger })
    case 'file': {
      if (config.dataFolderPath === undefined) {
        throw new TbClientError('INVALID_OPTIONS', 'storage.dataFolderPath: required for storage type "file"')
      }
      const maxFileCount = config.maxFileCount ?? d.maxFileCount
      const maxRecordsPerFile = config.maxRecordsPerFile ?? d.maxRecordsPerFile
      const { createFileStorage } = await import('./file.ts')
      return createFileStorage({
        dir: config.dataFolderPath,
        maxFileCount,
        maxRecordsPerFile,
        maxRecords: maxFileCount * maxRecordsPerFile,
        fullPolicy,
        logger,
      })
    }
    case 'sqlite': {
      if (config.dataFilePath === undefined) {
        throw new TbClientError('INVALID_OPTIONS', 'storage.dataFilePath: required for storage type "sqlite"')
      }
      const { createSqliteStorage } = await import('./sqlite.ts')
      return createSqliteStorage({
        path: config.dataFilePath,
        sizeLimitMb: config.sizeLimit ?? d.sizeLimit,
        maxDbAmount: config.maxDbAmount ?? d.maxDbAmount,
        ttlMs: (config.messagesTtlInDays ?? d.messagesTtlInDays) * DAY_MS,
        ttlCheckIntervalMs: (config.messagesTtlCheckInHours ?? d.messagesTtlCheckInHours) * HOUR_MS,
        // sqlite is bounded by sizeLimit × maxDbAmount; the record cap only guards against absurd growth
        maxRecords: Number.MAX_SAFE_INTEGER,
        fullPolicy,
        logger,
      })
    }
    default:
      throw new TbClientError(
        'INVALID_OPTIONS',
        `storage.type: expected one of memory, file, sqlite; got ${JSON.stringify((config as { type: unknown }).type)}`,
      )
  }
}
