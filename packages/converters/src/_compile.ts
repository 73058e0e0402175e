/** Compile-time half of the JSON converter: every template of a ConverterConfig compiled once. */
import type { ConverterConfig, DatapointConfig, ValueType } from '@restgate/config'
import { compileTemplate, type Template } from '@restgate/templater'
import { castValue } from './cast.ts'
import { ConverterError } from './errors.ts'
import { lastPathKey } from './timestamp.ts'

/** How a datapoint value is produced per request. */
export type ValuePlan =
  /** No `${`: cast once at load time. */
  | { mode: 'constant'; value: unknown }
  /** Exactly `${expr}`: the raw value, cast. */
  | { mode: 'single'; template: Template }
  /** Literal text around placeholders: rendered as text, then cast. */
  | { mode: 'text'; template: Template; parts: Template[] }

/** Where a telemetry item takes its timestamp from. */
export interface TsFieldPlan {
  /** Cache key within one conversion (same field + same flags → same timestamp). */
  id: string
  source: string
  path: string
  dayfirst: boolean
  yearfirst: boolean
  /** `path`: look the field up (then search its last key anywhere); `text`: render and parse. */
  mode: 'path' | 'text'
  expr: string
  lastKey: string
  /** `path` mode: `${expr}`; `text` mode: the tsField template itself. */
  template: Template
}

export interface CompiledItem {
  path: string
  type: ValueType
  /** The key when constant, else the key template and its placeholders as single templates. */
  key: string | { template: Template; parts: Template[] }
  value: ValuePlan
  tsField: TsFieldPlan | undefined
}

export interface DevicePlan {
  /** The name when constant. */
  constantName: string | undefined
  nameTemplate: Template | undefined
  nameParts: Template[]
  /** Config path of the name expression, for error messages. */
  namePath: string
  constantType: string | undefined
  typeTemplate: Template | undefined
  typeParts: Template[]
}

export interface CompiledConverter {
  path: string
  device: DevicePlan
  attributes: CompiledItem[]
  timeseries: CompiledItem[]
}

function compile(source: string, path: string): Template {
  try {
    return compileTemplate(source, { path })
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new ConverterError('CONVERTER_CONFIG', `${path}: invalid template ${JSON.stringify(source)}: ${why}`, { path, cause: e })
  }
}

/** Each placeholder as its own `${expr}` template, to tell a `null` from text that reads "null". */
function partsOf(template: Template, path: string): Template[] {
  return template.placeholders.map((expr) => compile(`\${${expr}}`, path))
}

function compileValue(item: DatapointConfig, path: string): ValuePlan {
  const template = compile(item.value, path)
  if (template.isConstant) {
    const cast = castValue(item.value, item.type, true)
    if (!cast.ok) throw new ConverterError('CONVERTER_CONFIG', `${path}: the constant value ${cast.reason}`, { path })
    return { mode: 'constant', value: cast.value }
  }
  return template.isSingle ? { mode: 'single', template } : { mode: 'text', template, parts: partsOf(template, path) }
}

function compileTsField(item: DatapointConfig, path: string): TsFieldPlan | undefined {
  const source = item.tsField
  if (source === undefined || source.trim() === '') return undefined
  const template = compile(source, path)
  const base = { id: `${source}\u0000${item.dayfirst}\u0000${item.yearfirst}`, source, path, dayfirst: item.dayfirst, yearfirst: item.yearfirst, template }
  if (template.isSingle || template.isConstant) {
    // `${time}` or a plain field name `time`
    const expr = template.isSingle ? (template.placeholders[0] as string) : source.trim()
    const lookup = template.isSingle ? template : compile(`\${${expr}}`, path)
    return { ...base, template: lookup, mode: 'path', expr, lastKey: lastPathKey(expr) }
  }
  return { ...base, mode: 'text', expr: source, lastKey: '' }
}

function compileItem(item: DatapointConfig, withTs: boolean): CompiledItem {
  const keyTemplate = compile(item.key, `${item.path}.key`)
  if (keyTemplate.isConstant && item.key === '') {
    throw new ConverterError('CONVERTER_CONFIG', `${item.path}.key: the key is empty`, { path: `${item.path}.key` })
  }
  return {
    path: item.path,
    type: item.type,
    key: keyTemplate.isConstant ? item.key : { template: keyTemplate, parts: partsOf(keyTemplate, `${item.path}.key`) },
    value: compileValue(item, `${item.path}.value`),
    tsField: withTs ? compileTsField(item, `${item.path}.tsField`) : undefined,
  }
}

/** A device name/profile expression: a constant (literal, or a template without placeholders) or a template. */
function compileDeviceExpression(source: 'request' | 'constant', text: string, path: string): { constant?: string; template?: Template } {
  if (source === 'constant') return { constant: text }
  const template = compile(text, path)
  return template.isConstant ? { constant: text } : { template }
}

function compileDevice(config: ConverterConfig): DevicePlan {
  const info = config.deviceInfo
  const nested = typeof config.raw === 'object' && config.raw !== null && 'deviceInfo' in config.raw
  const namePath = `${config.path}.${nested ? 'deviceInfo.deviceNameExpression' : 'deviceNameExpression'}`
  const typePath = `${config.path}.${nested ? 'deviceInfo.deviceProfileExpression' : 'deviceTypeExpression'}`
  const { constant: constantName, template: nameTemplate } = compileDeviceExpression(info.nameSource, info.name, namePath)
  if (constantName !== undefined && constantName.trim() === '') {
    throw new ConverterError('CONVERTER_CONFIG', `${namePath}: the device name expression is empty`, { path: namePath })
  }
  let { constant: constantType, template: typeTemplate } = compileDeviceExpression(info.profileSource, info.profile, typePath)
  if (constantType !== undefined && constantType.trim() === '') constantType = 'default'
  return {
    constantName,
    nameTemplate,
    nameParts: nameTemplate === undefined ? [] : partsOf(nameTemplate, namePath),
    namePath,
    constantType,
    typeTemplate,
    typeParts: typeTemplate === undefined ? [] : partsOf(typeTemplate, typePath),
  }
}

/** Compiles every template of the config; throws ConverterError `CONVERTER_CONFIG` naming the path. */
export function compileConverter(config: ConverterConfig): CompiledConverter {
  return {
    path: config.path,
    device: compileDevice(config),
    attributes: config.attributes.map((item) => compileItem(item, false)),
    timeseries: config.timeseries.map((item) => compileItem(item, true)),
  }
}
