/** Normalises tb_gateway.json's `storage` section (the original's snake_case keys) and `connectors[]`. */
import { storageDefaults } from './defaults.ts'
import { section, type NormaliseContext } from './_context.ts'
import { joinPath } from './_describe.ts'
import { resolveConfigPath } from './_paths.ts'
import { arrayOf, numberOf, stringOf, type RawObject } from './_raw.ts'
import type { ConnectorEntry, StorageConfig, StorageType } from './model.ts'
import { gatewayKeys } from './schema/gateway-schema.ts'

/** The normalised storage (defaults when the section is absent). */
export function readStorage(ctx: NormaliseContext, value: unknown): StorageConfig {
  const raw: RawObject = section(ctx, value, 'storage', gatewayKeys.storage) ?? {}
  const d = storageDefaults
  const given = stringOf(raw.type)?.toLowerCase()
  const type: StorageType = given === 'file' || given === 'sqlite' ? given : 'memory'
  // As in the original: memory reads read_records_count, file and sqlite max_read_records_count.
  const readKeys = type === 'memory' ? ['read_records_count', 'max_read_records_count'] : ['max_read_records_count', 'read_records_count']
  const readRecordsCount = readKeys.map((key) => numberOf(raw[key])).find((n) => n !== undefined)
  const folder = (key: string, fallback: string): string => resolveConfigPath(ctx.configDir, stringOf(raw[key]) || fallback)
  const policy = stringOf(raw.full_policy)
  const out: StorageConfig = {
    type,
    dataFolderPath: folder('data_folder_path', d.dataFolderPath),
    dataFilePath: folder('data_file_path', d.dataFilePath),
    messagesTtlInDays: numberOf(raw.messages_ttl_in_days) ?? d.messagesTtlInDays,
  }
  // keys the file does not set stay absent: the package that uses them applies its own default
  const optional = {
    maxRecordsCount: numberOf(raw.max_records_count),
    readRecordsCount,
    maxFileCount: numberOf(raw.max_file_count),
    maxRecordsPerFile: numberOf(raw.max_records_per_file),
    messagesTtlCheckInHours: numberOf(raw.messages_ttl_check_in_hours),
    sizeLimit: numberOf(raw.size_limit),
    maxDbAmount: numberOf(raw.max_db_amount),
    fullPolicy: policy === undefined ? undefined : /^drop_?oldest$/i.test(policy) ? ('dropOldest' as const) : ('reject' as const),
  }
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(out, { [key]: value })
  return out
}

/** The `rest` connectors (others are warned about and skipped). */
export function readConnectors(ctx: NormaliseContext, value: unknown): ConnectorEntry[] {
  const out: ConnectorEntry[] = []
  const names = new Map<string, string>()
  arrayOf(value).forEach((item, index) => {
    const path = joinPath('connectors', index)
    const type = stringOf(section(ctx, item, path, undefined)?.type)
    if (type === undefined) return
    if (type.toLowerCase() !== 'rest') {
      ctx.collector.warn(joinPath(path, 'type'), `connector type ${JSON.stringify(type)} is not supported by restgate (only "rest"); skipped`)
      return
    }
    const raw = section(ctx, item, path, gatewayKeys.connector)
    const configuration = stringOf(raw?.configuration)
    if (raw === undefined || configuration === undefined || configuration === '') return
    const name = stringOf(raw.name) || 'REST Connector'
    const first = names.get(name)
    if (first !== undefined) {
      ctx.collector.expectedText(joinPath(path, 'name'), 'a connector name not used by another connector', `${JSON.stringify(name)}, already used by ${first}`)
    } else names.set(name, path)
    out.push({ type: 'rest', name, configuration: resolveConfigPath(ctx.configDir, configuration), path })
  })
  return out
}
