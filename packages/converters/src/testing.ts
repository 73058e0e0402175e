/**
 * `@restgate/converters/testing`: the conformance suite every uplink converter must pass, plus
 * helpers to build configs and check results. Register it from a vitest test file:
 *
 * ```ts
 * import { testConverter } from '@restgate/converters/testing'
 * import converter from '../index.mjs'
 * testConverter('my converter', converter, { config, cases: [{ name: 'reads the counter', data: {}, request: { body }, expect: { records: [...] } }] })
 * ```
 */
import type { ConverterConfig } from '@restgate/config'
import { describe, expect, it } from 'vitest'
import { converterContext, instantiateConverter } from './_instantiate.ts'
import { ConverterError } from './errors.ts'
import { defaultLogger } from './logger.ts'
import { normaliseResult, toUplinkConverter } from './normalise-result.ts'
import { createRequestInfo } from './request-info.ts'
import { createTestConverterConfig } from './test-config.ts'
import type {
  ConverterContext,
  ConverterFactory,
  ConvertResult,
  CustomUplinkConverter,
  DroppedDatapoint,
  RequestInfo,
  UplinkConverter,
  UplinkRecord,
} from './types.ts'

export { createTestConverterConfig } from './test-config.ts'
export type { TestConverterConfigInit, TestDatapointInit } from './test-config.ts'

/** What a case expects; every given part is compared exactly. */
export interface ConverterCaseExpectation {
  records?: UplinkRecord[]
  dropped?: DroppedDatapoint[]
  /** The convert call must fail with a ConverterError of this code (e.g. `DEVICE_NAME_MISSING`). */
  error?: string
}

export interface ConverterTestCase {
  name: string
  /** The parsed data, as ingest hands it over. */
  data: unknown
  /** Parts of the RequestInfo; the rest defaults (body = the data as JSON, receivedAt = the suite's). */
  request?: Partial<RequestInfo>
  /** Exact expectations, or a function that asserts on the (normalised) result. */
  expect?: ConverterCaseExpectation | ((result: ConvertResult) => void | Promise<void>)
}

/** A converter under test: what a module may export, or a ready converter. */
export type ConverterUnderTest =
  | UplinkConverter
  | CustomUplinkConverter
  | ConverterFactory
  | (new (config: ConverterConfig, ctx: ConverterContext) => CustomUplinkConverter)

export interface TestConverterOptions {
  /** The converter config handed to a factory. @default createTestConverterConfig({ type: 'custom' }) */
  config?: ConverterConfig
  /** `ctx.configDir` for a factory. @default process.cwd() */
  configDir?: string
  /** `request.receivedAt` of every case. @default 1_700_000_000_000 */
  receivedAt?: number
  cases: ConverterTestCase[]
}

export const testConverterDefaults: Readonly<{ receivedAt: number }> = Object.freeze({ receivedAt: 1_700_000_000_000 })

const encoder = new TextEncoder()
const BINARY = Uint8Array.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x80, 0x7f, 0x0a])

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

function bodyOf(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data
  const json = JSON.stringify(data)
  return encoder.encode(json ?? '')
}

/** Asserts that a result has the documented shape: records with data, dropped entries with path and reason. */
export function assertConvertResult(result: unknown): asserts result is ConvertResult {
  expect(isPlainObject(result), 'the result is an object { records, dropped }').toBe(true)
  const { records, dropped } = result as Record<string, unknown>
  expect(Array.isArray(records), 'result.records is an array').toBe(true)
  expect(Array.isArray(dropped), 'result.dropped is an array').toBe(true)
  ;(records as unknown[]).forEach((record, i) => {
    const at = `records[${i}]`
    expect(isPlainObject(record), `${at} is an object`).toBe(true)
    const r = record as Record<string, unknown>
    expect(typeof r.deviceName === 'string' && r.deviceName.trim() !== '', `${at}.deviceName is a non-empty string`).toBe(true)
    expect(typeof r.deviceType === 'string' && r.deviceType !== '', `${at}.deviceType is a non-empty string`).toBe(true)
    expect(isPlainObject(r.attributes), `${at}.attributes is an object`).toBe(true)
    expect(Array.isArray(r.telemetry), `${at}.telemetry is an array`).toBe(true)
    const telemetry = r.telemetry as unknown[]
    telemetry.forEach((entry, j) => {
      const e = entry as Record<string, unknown>
      expect(typeof e.ts === 'number' && Number.isFinite(e.ts), `${at}.telemetry[${j}].ts is a finite number`).toBe(true)
      expect(isPlainObject(e.values) && Object.keys(e.values).length > 0, `${at}.telemetry[${j}].values is a non-empty object`).toBe(true)
    })
    expect(Object.keys(r.attributes as object).length > 0 || telemetry.length > 0, `${at} carries attributes or telemetry`).toBe(true)
  })
  ;(dropped as unknown[]).forEach((entry, i) => {
    const d = entry as Record<string, unknown>
    expect(typeof d.path === 'string' && typeof d.reason === 'string', `dropped[${i}] has a string path and reason`).toBe(true)
  })
}

async function settle(run: () => unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await run() }
  } catch (error) {
    return { ok: false, error }
  }
}

type Outcome = Awaited<ReturnType<typeof settle>>

/** Fails unless the outcome is a valid result or a ConverterError. */
function expectResultOrConverterError(outcome: Outcome, what: string): void {
  if (outcome.ok) assertConvertResult(outcome.value)
  else expect(ConverterError.is(outcome.error), `${what}: only a ConverterError may be thrown, got ${String(outcome.error)}`).toBe(true)
}

/**
 * Registers the conformance tests of an uplink converter (a `defineConverter` factory, a plain
 * factory, a class, an object with `convert`, or a ready UplinkConverter): it can be created; each
 * case's result has the documented shape and matches its expectation; sync stays sync and async
 * works; the input data and body are not mutated; the same input and `receivedAt` give the same
 * output; an empty object, an empty array, binary and non-object bodies give a result or a
 * ConverterError, never another exception.
 */
export function testConverter(name: string, converter: ConverterUnderTest, options: TestConverterOptions): void {
  const config = options.config ?? createTestConverterConfig({ type: 'custom' })
  const configDir = options.configDir ?? process.cwd()
  const receivedAt = options.receivedAt ?? testConverterDefaults.receivedAt
  let created: Promise<{ raw: CustomUplinkConverter; wrapped: UplinkConverter }> | undefined
  const create = (): Promise<{ raw: CustomUplinkConverter; wrapped: UplinkConverter }> => {
    created ??= instantiateConverter(converter, config, converterContext(config, configDir, defaultLogger), `converter under test "${name}"`).then((raw) => ({
      raw,
      wrapped: toUplinkConverter(raw, `converter "${name}"`),
    }))
    return created
  }
  /** The converter's own outcome: what it threw (unwrapped), or its result normalised as the gateway does. */
  const convertRaw = async (data: unknown, request: RequestInfo): Promise<Outcome> => {
    const { raw } = await create()
    const outcome = await settle(() => raw.convert(data, request))
    if (!outcome.ok) return outcome
    let normalised: ConvertResult
    try {
      normalised = normaliseResult(outcome.value, request, `converter "${name}"`)
    } catch (e) {
      throw new Error(`the converter returned a result of the wrong shape: ${(e as Error).message}`, { cause: e })
    }
    return { ok: true, value: normalised }
  }
  const requestFor = (data: unknown, init: Partial<RequestInfo> = {}): RequestInfo =>
    createRequestInfo({
      path: '/test',
      headers: { 'content-type': 'application/json' },
      contentType: 'application/json',
      body: bodyOf(data),
      receivedAt,
      ...init,
    })

  describe(`converter conformance: ${name}`, () => {
    it('is created from its config', async () => {
      const { raw } = await create()
      expect(typeof raw.convert).toBe('function')
    })

    for (const testCase of options.cases) {
      it(`case: ${testCase.name}`, async () => {
        const outcome = await convertRaw(structuredClone(testCase.data), requestFor(testCase.data, testCase.request))
        const expected = testCase.expect
        if (typeof expected === 'object' && expected.error !== undefined) {
          expect(outcome.ok, `expected ConverterError ${expected.error}`).toBe(false)
          const error = (outcome as { error: unknown }).error
          expect(ConverterError.is(error) ? error.code : String(error)).toBe(expected.error)
          return
        }
        if (!outcome.ok) throw outcome.error
        assertConvertResult(outcome.value)
        if (typeof expected === 'function') await expected(outcome.value)
        else if (expected !== undefined) {
          if (expected.records !== undefined) expect(outcome.value.records).toEqual(expected.records)
          if (expected.dropped !== undefined) expect(outcome.value.dropped).toEqual(expected.dropped)
        }
      })
    }

    it('stays sync when convert is sync, and works when it is async', async () => {
      const { raw, wrapped } = await create()
      for (const testCase of options.cases) {
        const request = requestFor(testCase.data, testCase.request)
        const rawOut = await settle(() => {
          const out = raw.convert(structuredClone(testCase.data), request)
          return isThenable(out) ? Promise.resolve(out).then((value) => ({ async: true, value })) : { async: false, value: out }
        })
        if (!rawOut.ok) continue // error cases are covered by the case tests
        let wrappedOut: unknown
        try {
          wrappedOut = wrapped.convert(structuredClone(testCase.data), request)
        } catch (e) {
          throw new Error(`case "${testCase.name}": the wrapped converter threw although the converter returned a result`, { cause: e })
        }
        const isAsync = (rawOut.value as { async: boolean }).async
        expect(isThenable(wrappedOut), `case "${testCase.name}": the result is ${isAsync ? 'a promise' : 'sync'} like the converter's`).toBe(isAsync)
        assertConvertResult(await wrappedOut)
      }
    })

    it('does not mutate the input data or the request', async () => {
      for (const testCase of options.cases) {
        const data = structuredClone(testCase.data)
        const request = requestFor(data, testCase.request)
        const body = Uint8Array.from(request.body)
        await convertRaw(data, request)
        expect(data, `case "${testCase.name}": data unchanged`).toEqual(testCase.data)
        expect(Uint8Array.from(request.body), `case "${testCase.name}": body unchanged`).toEqual(body)
        const frozen = await convertRaw(deepFreeze(structuredClone(testCase.data)), requestFor(testCase.data, testCase.request))
        if (!frozen.ok) expect(ConverterError.is(frozen.error), `case "${testCase.name}": converting frozen data threw ${String(frozen.error)}`).toBe(true)
      }
    })

    it('gives the same output for the same input and receivedAt', async () => {
      for (const testCase of options.cases) {
        const first = await convertRaw(structuredClone(testCase.data), requestFor(testCase.data, testCase.request))
        const second = await convertRaw(structuredClone(testCase.data), requestFor(testCase.data, testCase.request))
        expect(second.ok, `case "${testCase.name}": both runs succeed or both fail`).toBe(first.ok)
        if (first.ok && second.ok) expect(second.value, `case "${testCase.name}"`).toEqual(first.value)
        else if (!first.ok && !second.ok) expect((second.error as { code?: unknown }).code).toEqual((first.error as { code?: unknown }).code)
      }
    })

    it('handles an empty object, an empty array and non-object bodies without crashing', async () => {
      for (const data of [{}, [], null, 42, 'text', [{}]]) {
        expectResultOrConverterError(await convertRaw(data, requestFor(data)), `body ${JSON.stringify(data)}`)
      }
    })

    it('handles a binary body without crashing', async () => {
      const binary = { body: BINARY, contentType: 'application/octet-stream', headers: { 'content-type': 'application/octet-stream' } }
      for (const data of [{}, { text: new TextDecoder().decode(BINARY) }]) {
        expectResultOrConverterError(await convertRaw(data, requestFor(data, binary)), `binary body with data ${JSON.stringify(data)}`)
      }
    })
  })
}
