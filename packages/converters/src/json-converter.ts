import type { ConverterConfig } from '@restgate/config'
import { nextTurn } from '@restgate/core'
import type { Template } from '@restgate/templater'
import { compileConverter, type CompiledConverter, type CompiledItem, type TsFieldPlan } from './_compile.ts'
import { castValue, describeValue, type CastResult } from './cast.ts'
import { ConverterError } from './errors.ts'
import { findKeyDeep, toEpochMs } from './timestamp.ts'
import type { ConvertResult, DroppedDatapoint, RequestInfo, UplinkConverter, UplinkRecord } from './types.ts'

type Outcome = { ok: true; value: unknown } | { ok: false; reason: string }

/** State of converting one body element. */
interface ElementState {
  data: Record<string, unknown>
  index: number | undefined
  receivedAt: number
  dropped: DroppedDatapoint[]
  /** Timestamp of items without `tsField` (computed on first use). */
  defaultTs: number | undefined
  /** Timestamps of `tsField`s already resolved in this element. */
  tsCache: Map<string, number> | undefined
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (ArrayBuffer.isView(value)) return 'binary data'
  return `a ${typeof value}`
}

function missingReason(missing: readonly string[]): string {
  return `missing ${missing.map((expr) => `\${${expr}}`).join(', ')}`
}

/** Placeholders of a text template whose value is `null` (rendered "null" by the templater). */
function nullParts(parts: readonly Template[], data: unknown): string[] {
  const nulls: string[] = []
  for (const part of parts) {
    if (part.evaluate(data).value === null) nulls.push(part.source)
  }
  return nulls
}

function renderText(template: Template, parts: readonly Template[], data: unknown): Outcome {
  if (template.isSingle) {
    // `${expr}` with a string value renders as that string (the usual device name): no rendering
    const value = template.evaluate(data).value
    if (typeof value === 'string') return { ok: true, value }
  }
  const rendered = template.render(data, 'text')
  if (rendered.missing.length > 0) return { ok: false, reason: missingReason(rendered.missing) }
  if (rendered.value.includes('null')) {
    const nulls = nullParts(parts, data)
    if (nulls.length > 0) return { ok: false, reason: `${nulls.join(', ')} ${nulls.length === 1 ? 'is' : 'are'} null` }
  }
  return { ok: true, value: rendered.value }
}

function renderKey(item: CompiledItem, data: unknown): Outcome {
  if (typeof item.key === 'string') return { ok: true, value: item.key }
  const key = renderText(item.key.template, item.key.parts, data)
  if (key.ok && key.value === '') return { ok: false, reason: `key ${JSON.stringify(item.key.template.source)} rendered empty` }
  return key
}

function renderValue(item: CompiledItem, data: unknown): CastResult {
  const plan = item.value
  if (plan.mode === 'constant') return { ok: true, value: plan.value }
  if (plan.mode === 'single') {
    const { value, missing } = plan.template.evaluate(data)
    if (missing.length > 0 || value === undefined) return { ok: false, reason: missingReason(missing.length > 0 ? missing : plan.template.placeholders) }
    if (value === null) return { ok: false, reason: `${plan.template.source} is null` }
    return castValue(value, item.type, false)
  }
  const text = renderText(plan.template, plan.parts, data)
  return text.ok ? castValue(text.value, item.type, true) : text
}

function warn(state: ElementState, path: string, reason: string, key?: string): void {
  state.dropped.push({ path, ...(key === undefined ? {} : { key }), reason, ...(state.index === undefined ? {} : { index: state.index }), warning: true })
}

function defaultTs(state: ElementState, converterPath: string): number {
  if (state.defaultTs !== undefined) return state.defaultTs
  let ts = state.receivedAt
  for (const field of ['ts', 'timestamp'] as const) {
    const value = state.data[field]
    if (value === undefined || value === null) continue
    const parsed = toEpochMs(value)
    if (parsed !== undefined) {
      ts = parsed
      break
    }
    warn(state, converterPath, `body "${field}" ${describeValue(value)} is not a timestamp; used the request arrival time`, field)
  }
  state.defaultTs = ts
  return ts
}

function tsFieldValue(plan: TsFieldPlan, data: Record<string, unknown>): Outcome {
  if (plan.mode === 'text') {
    const rendered = plan.template.render(data, 'text')
    return rendered.missing.length > 0 ? { ok: false, reason: missingReason(rendered.missing) } : { ok: true, value: rendered.value }
  }
  const direct = plan.template.evaluate(data)
  if (direct.missing.length === 0 && direct.value !== undefined) return { ok: true, value: direct.value }
  const deep = findKeyDeep(data, plan.lastKey)
  return deep.found ? { ok: true, value: deep.value } : { ok: false, reason: `missing \${${plan.expr}}` }
}

function itemTs(item: CompiledItem, key: string, state: ElementState, converterPath: string): number {
  const plan = item.tsField
  if (plan === undefined) return defaultTs(state, converterPath)
  const cached = state.tsCache?.get(plan.id)
  if (cached !== undefined) return cached
  const found = tsFieldValue(plan, state.data)
  let ts: number | undefined
  if (found.ok) {
    ts = toEpochMs(found.value, plan)
    if (ts === undefined)
      warn(state, plan.path, `cannot parse ${describeValue(found.value)} from ${plan.source} as a timestamp; used the request timestamp`, key)
  } else warn(state, plan.path, `${found.reason} (tsField); used the request timestamp`, key)
  ts ??= defaultTs(state, converterPath)
  state.tsCache ??= new Map()
  state.tsCache.set(plan.id, ts)
  return ts
}

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}

/** Evaluates one item: the key and the cast value, or a dropped entry. */
function evaluateItem(item: CompiledItem, state: ElementState): { key: string; value: unknown } | undefined {
  const key = renderKey(item, state.data)
  if (!key.ok) {
    state.dropped.push({ path: `${item.path}.key`, reason: key.reason, ...(state.index === undefined ? {} : { index: state.index }) })
    return undefined
  }
  const keyText = key.value as string
  const value = renderValue(item, state.data)
  if (!value.ok) {
    state.dropped.push({ path: `${item.path}.value`, key: keyText, reason: value.reason, ...(state.index === undefined ? {} : { index: state.index }) })
    return undefined
  }
  return { key: keyText, value: value.value }
}

function deviceName(compiled: CompiledConverter, state: ElementState): string {
  const plan = compiled.device
  if (plan.constantName !== undefined) return plan.constantName
  const template = plan.nameTemplate as Template
  const where = state.index === undefined ? '' : ` in body element [${state.index}]`
  const rendered = renderText(template, plan.nameParts, state.data)
  const usable = rendered.ok && (rendered.value as string).trim() !== ''
  if (!usable) {
    const why = rendered.ok ? 'it rendered empty' : rendered.reason
    throw new ConverterError(
      'DEVICE_NAME_MISSING',
      `no device name${where}: expression ${JSON.stringify(template.source)} (${plan.namePath}) has no value: ${why}`,
      { path: plan.namePath, ...(state.index === undefined ? {} : { index: state.index }) },
    )
  }
  return rendered.value as string
}

function deviceType(compiled: CompiledConverter, data: unknown): string {
  const plan = compiled.device
  if (plan.constantType !== undefined) return plan.constantType
  const template = plan.typeTemplate as Template
  const rendered = renderText(template, plan.typeParts, data)
  return rendered.ok && (rendered.value as string).trim() !== '' ? (rendered.value as string) : 'default'
}

function convertElement(compiled: CompiledConverter & { tsFields: boolean }, state: ElementState): UplinkRecord | undefined {
  const name = deviceName(compiled, state)
  const attributes: Record<string, unknown> = {}
  let hasAttributes = false
  for (const item of compiled.attributes) {
    const point = evaluateItem(item, state)
    if (point === undefined) continue
    setKey(attributes, point.key, point.value)
    hasAttributes = true
  }
  if (!compiled.tsFields) {
    // every datapoint takes the request's timestamp: one entry, no grouping by timestamp
    let values: Record<string, unknown> | undefined
    let ts = 0
    for (const item of compiled.timeseries) {
      const point = evaluateItem(item, state)
      if (point === undefined) continue
      if (values === undefined) {
        // at the first datapoint, as the grouping path below does (a bad body `ts` warns in that order)
        ts = defaultTs(state, compiled.path)
        values = {}
      }
      setKey(values, point.key, point.value)
    }
    if (!hasAttributes && values === undefined) return undefined
    const telemetry = values === undefined ? [] : [{ ts, values }]
    return { deviceName: name, deviceType: deviceType(compiled, state.data), attributes, telemetry }
  }
  const byTs = new Map<number, Record<string, unknown>>()
  for (const item of compiled.timeseries) {
    const point = evaluateItem(item, state)
    if (point === undefined) continue
    const ts = itemTs(item, point.key, state, compiled.path)
    let values = byTs.get(ts)
    if (values === undefined) {
      values = {}
      byTs.set(ts, values)
    }
    setKey(values, point.key, point.value)
  }
  if (!hasAttributes && byTs.size === 0) return undefined
  const telemetry = [...byTs.entries()].toSorted((a, b) => a[0] - b[0]).map(([ts, values]) => ({ ts, values }))
  return { deviceName: name, deviceType: deviceType(compiled, state.data), attributes, telemetry }
}

function newState(data: Record<string, unknown>, index: number | undefined, request: RequestInfo, dropped: DroppedDatapoint[]): ElementState {
  return { data, index, receivedAt: request.receivedAt, dropped, defaultTs: undefined, tsCache: undefined }
}

/**
 * Elements of an array body converted in one go: a longer array is converted in chunks of this
 * size with a turn of the event loop between them (`nextTurn` of @restgate/core: one slice of all
 * the big bodies in progress per turn; `convert` then returns a promise), so one big body never
 * holds other requests for more than about a millisecond at a time.
 */
export const CHUNK_ELEMENTS = 256

/**
 * The built-in JSON converter. Every template is compiled here, once; `convert` only looks values
 * up. A JSON array converts every element (each may be another device). A missing device name
 * throws ConverterError `DEVICE_NAME_MISSING` (the whole request fails); a datapoint whose value is
 * missing, `null` or cannot be cast to its `type` is left out and listed in `dropped`. An array of
 * more than {@link CHUNK_ELEMENTS} elements is converted in chunks (a promise is returned).
 *
 * @throws {ConverterError} `CONVERTER_CONFIG` when a template does not compile or a constant value
 *   cannot be cast to its type.
 */
export function createJsonConverter(config: ConverterConfig): UplinkConverter {
  const compiled: CompiledConverter & { tsFields: boolean } = { ...compileConverter(config), tsFields: false }
  compiled.tsFields = compiled.timeseries.some((item) => item.tsField !== undefined)
  const convertRange = (data: unknown[], from: number, to: number, request: RequestInfo, records: UplinkRecord[], dropped: DroppedDatapoint[]): void => {
    for (let i = from; i < to; i++) {
      const element: unknown = data[i]
      if (!isPlainObject(element)) {
        throw new ConverterError('BODY_SHAPE', `body element [${i}] is ${kindOf(element)}, expected a JSON object`, { path: config.path, index: i })
      }
      const record = convertElement(compiled, newState(element, i, request, dropped))
      if (record !== undefined) records.push(record)
    }
  }
  /** A long array, converted `CHUNK_ELEMENTS` at a time, yielding to the event loop between chunks. */
  const convertInChunks = async (data: unknown[], request: RequestInfo): Promise<ConvertResult> => {
    const dropped: DroppedDatapoint[] = []
    const records: UplinkRecord[] = []
    for (let from = 0; from < data.length; from += CHUNK_ELEMENTS) {
      await nextTurn()
      convertRange(data, from, Math.min(data.length, from + CHUNK_ELEMENTS), request, records, dropped)
    }
    return { records, dropped }
  }
  return {
    convert(data: unknown, request: RequestInfo): ConvertResult | Promise<ConvertResult> {
      const dropped: DroppedDatapoint[] = []
      const records: UplinkRecord[] = []
      if (Array.isArray(data)) {
        if (data.length > CHUNK_ELEMENTS) return convertInChunks(data, request)
        convertRange(data, 0, data.length, request, records, dropped)
      } else if (isPlainObject(data)) {
        const record = convertElement(compiled, newState(data, undefined, request, dropped))
        if (record !== undefined) records.push(record)
      } else {
        throw new ConverterError('BODY_SHAPE', `body is ${kindOf(data)}, expected a JSON object or an array of objects`, { path: config.path })
      }
      return { records, dropped }
    },
  }
}
