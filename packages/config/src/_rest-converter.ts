/** Normalises a mapping's `converter` (old keys or `deviceInfo`) and its datapoints. */
import { pickSpelling, section, type NormaliseContext } from './_context.ts'
import { joinPath } from './_describe.ts'
import { arrayOf, boolOf, isObject, stringOf, type RawObject } from './_raw.ts'
import { checkTemplate } from './_templates.ts'
import type { ConverterConfig, DatapointConfig, DeviceInfoConfig, ValueType } from './model.ts'
import { restKeys } from './schema/rest-schema.ts'

const VALUE_TYPES: Readonly<Record<string, ValueType>> = {
  string: 'string',
  double: 'double',
  float: 'double',
  int: 'int',
  integer: 'int',
  long: 'int',
  bool: 'bool',
  boolean: 'bool',
  json: 'json',
}

function readDatapoint(ctx: NormaliseContext, value: unknown, path: string, isTelemetry: boolean): DatapointConfig | undefined {
  const raw = section(ctx, value, path, restKeys.datapoint)
  if (raw === undefined) return undefined
  const key = stringOf(raw.key)
  if (key !== undefined && key !== '') checkTemplate(ctx.collector, joinPath(path, 'key'), key)
  const rawValue = raw.value
  const text = typeof rawValue === 'string' || typeof rawValue === 'number' || typeof rawValue === 'boolean' ? String(rawValue) : undefined
  if (typeof rawValue === 'string') checkTemplate(ctx.collector, joinPath(path, 'value'), rawValue)
  const typeName = stringOf(raw.type)?.toLowerCase()
  const tsField = stringOf(raw.tsField)
  let keepTsField: string | undefined
  if (tsField !== undefined) {
    const tsPath = joinPath(path, 'tsField')
    if (!isTelemetry) ctx.collector.warn(tsPath, 'ignored: attributes have no timestamp')
    else {
      const placeholders = checkTemplate(ctx.collector, tsPath, tsField)
      if (placeholders !== undefined && placeholders.length === 0) {
        ctx.collector.expected(tsPath, 'a ${...} expression naming the timestamp field', tsField)
      } else keepTsField = tsField
    }
  }
  return {
    key: key ?? '',
    value: text ?? '',
    type: (typeName === undefined ? undefined : VALUE_TYPES[typeName]) ?? 'string',
    ...(keepTsField === undefined ? {} : { tsField: keepTsField }),
    dayfirst: boolOf(raw.dayfirst) ?? false,
    yearfirst: boolOf(raw.yearfirst) ?? false,
    path,
  }
}

function readDatapoints(ctx: NormaliseContext, value: unknown, path: string, isTelemetry: boolean): DatapointConfig[] {
  const out: DatapointConfig[] = []
  arrayOf(value).forEach((item, index) => {
    const datapoint = readDatapoint(ctx, item, joinPath(path, index), isTelemetry)
    if (datapoint !== undefined) out.push(datapoint)
  })
  return out
}

const OLD_DEVICE_KEYS = ['deviceNameExpression', 'deviceTypeExpression', 'deviceProfileExpression']

function sourceOf(explicit: unknown, expression: string): 'request' | 'constant' {
  const given = stringOf(explicit)?.toLowerCase()
  if (given === 'request' || given === 'constant') return given
  return expression.includes('${') ? 'request' : 'constant'
}

/** Name and profile from `deviceInfo` (new) or `deviceNameExpression` / `deviceTypeExpression` (old). */
function readDeviceInfo(ctx: NormaliseContext, raw: RawObject, path: string, isCustom: boolean): DeviceInfoConfig {
  let name: { value: unknown; path: string; source: unknown }
  let profile: { value: unknown; path: string; source: unknown } | undefined
  const infoPath = joinPath(path, 'deviceInfo')
  const info = section(ctx, raw.deviceInfo, infoPath, restKeys.deviceInfo)
  if (info !== undefined) {
    for (const key of OLD_DEVICE_KEYS) if (raw[key] !== undefined) ctx.collector.warn(joinPath(path, key), 'ignored: deviceInfo is given')
    name = { value: info.deviceNameExpression, path: joinPath(infoPath, 'deviceNameExpression'), source: info.deviceNameExpressionSource }
    profile = { value: info.deviceProfileExpression, path: joinPath(infoPath, 'deviceProfileExpression'), source: info.deviceProfileExpressionSource }
  } else {
    name = { value: raw.deviceNameExpression, path: joinPath(path, 'deviceNameExpression'), source: undefined }
    const type = pickSpelling(ctx, raw, path, ['deviceTypeExpression', 'deviceProfileExpression'])
    if (type !== undefined) profile = { value: type.value, path: joinPath(path, type.key), source: undefined }
  }
  const nameText = stringOf(name.value)
  if (name.value === undefined && !isCustom) {
    if (info !== undefined) ctx.collector.expected(name.path, 'a device name or ${...} template', undefined)
    else if (raw.deviceInfo === undefined) ctx.collector.expectedText(path, 'a device name: "deviceInfo" or "deviceNameExpression"', 'neither')
  }
  const nameSource = sourceOf(name.source, nameText ?? '')
  if (nameText !== undefined && nameSource === 'request') checkTemplate(ctx.collector, name.path, nameText)
  const profileText = stringOf(profile?.value)
  if (profileText === undefined || profileText === '') return { nameSource, name: nameText ?? '', profileSource: 'constant', profile: 'default' }
  const profileSource = sourceOf(profile?.source, profileText)
  if (profileSource === 'request' && profile !== undefined) checkTemplate(ctx.collector, profile.path, profileText)
  return { nameSource, name: nameText ?? '', profileSource, profile: profileText }
}

/** The normalised converter of `mapping[i]`. */
export function readConverter(ctx: NormaliseContext, value: unknown, path: string): ConverterConfig | undefined {
  if (!isObject(value)) return undefined
  const typeName = stringOf(value.type)?.toLowerCase()
  const extension = stringOf(value.extension)
  const isCustom = typeName === 'custom' || extension !== undefined
  // A custom converter may read keys of its own from this section: only a json converter's keys are checked.
  const raw = section(ctx, value, path, isCustom ? undefined : restKeys.converter)
  if (raw === undefined) return undefined
  if (typeName === 'custom' && value.extension === undefined) {
    ctx.collector.expected(joinPath(path, 'extension'), 'a converter module (path, package or name) because type is "custom"', undefined)
  }
  const options = pickSpelling(ctx, raw, path, ['extensionConfig', 'extension-config'])
  const deviceInfo = readDeviceInfo(ctx, raw, path, isCustom)
  const attributes = readDatapoints(ctx, raw.attributes, joinPath(path, 'attributes'), false)
  const timeseries = readDatapoints(ctx, raw.timeseries, joinPath(path, 'timeseries'), true)
  if (!isCustom && raw.attributes === undefined && raw.timeseries === undefined) {
    ctx.collector.warn(path, 'no "attributes" or "timeseries": requests to this endpoint send no data')
  }
  return {
    type: isCustom ? 'custom' : 'json',
    ...(extension === undefined ? {} : { extension }),
    extensionConfig: isObject(options?.value) ? options.value : {},
    deviceInfo,
    attributes,
    timeseries,
    raw: { ...raw },
    path,
  }
}
