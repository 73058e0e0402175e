import type { ConverterConfig, DatapointConfig, ValueType } from '@restgate/config'

/** A datapoint as tests write it: only `key` and `value` are needed. */
export interface TestDatapointInit {
  key: string
  value: string
  /** @default 'string' */
  type?: ValueType
  tsField?: string
  /** @default false */
  dayfirst?: boolean
  /** @default false */
  yearfirst?: boolean
}

/** A converter config as tests write it. Sources default to `request` when the text has `${`. */
export interface TestConverterConfigInit {
  /** @default 'custom' when `extension` is given, else 'json' */
  type?: 'json' | 'custom'
  extension?: string
  /** @default {} */
  extensionConfig?: Record<string, unknown>
  /** @default 'Test Device' */
  deviceName?: string
  deviceNameSource?: 'request' | 'constant'
  /** @default 'default' */
  deviceType?: string
  deviceTypeSource?: 'request' | 'constant'
  /** @default [] */
  attributes?: TestDatapointInit[]
  /** @default [] */
  timeseries?: TestDatapointInit[]
  /** @default 'mapping[0].converter' */
  path?: string
  /** @default a new-format section built from the other fields */
  raw?: Record<string, unknown>
}

function source(text: string): 'request' | 'constant' {
  return text.includes('${') ? 'request' : 'constant'
}

function datapoints(items: readonly TestDatapointInit[], path: string): DatapointConfig[] {
  return items.map((item, i) => ({
    key: item.key,
    value: item.value,
    type: item.type ?? 'string',
    ...(item.tsField === undefined ? {} : { tsField: item.tsField }),
    dayfirst: item.dayfirst ?? false,
    yearfirst: item.yearfirst ?? false,
    path: `${path}[${i}]`,
  }))
}

/**
 * A normalised {@link ConverterConfig} built directly (no config validation), for tests of
 * converters: `createTestConverterConfig({ deviceName: '${id}', timeseries: [{ key: 't', value: '${t}', type: 'double' }] })`.
 */
export function createTestConverterConfig(init: TestConverterConfigInit = {}): ConverterConfig {
  const path = init.path ?? 'mapping[0].converter'
  const name = init.deviceName ?? 'Test Device'
  const profile = init.deviceType ?? 'default'
  const nameSource = init.deviceNameSource ?? source(name)
  const profileSource = init.deviceTypeSource ?? source(profile)
  const attributes = init.attributes ?? []
  const timeseries = init.timeseries ?? []
  const config: ConverterConfig = {
    type: init.type ?? (init.extension === undefined ? 'json' : 'custom'),
    extensionConfig: init.extensionConfig ?? {},
    deviceInfo: { nameSource, name, profileSource, profile },
    attributes: datapoints(attributes, `${path}.attributes`),
    timeseries: datapoints(timeseries, `${path}.timeseries`),
    raw: init.raw ?? {
      type: init.type ?? (init.extension === undefined ? 'json' : 'custom'),
      deviceInfo: {
        deviceNameExpressionSource: nameSource,
        deviceNameExpression: name,
        deviceProfileExpressionSource: profileSource,
        deviceProfileExpression: profile,
      },
      attributes,
      timeseries,
      ...(init.extension === undefined ? {} : { extension: init.extension }),
      ...(init.extensionConfig === undefined ? {} : { extensionConfig: init.extensionConfig }),
    },
    path,
  }
  if (init.extension !== undefined) config.extension = init.extension
  return config
}
