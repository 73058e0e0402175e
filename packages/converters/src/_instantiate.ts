/** Turns whatever a converter module exports into a working UplinkConverter. */
import type { ConverterConfig } from '@restgate/config'
import { ConverterError } from './errors.ts'
import { createJsonConverter } from './json-converter.ts'
import type { Logger } from './logger.ts'
import type { ConverterContext, CustomUplinkConverter, UplinkConverter } from './types.ts'

function hasConvert(value: unknown): value is CustomUplinkConverter {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { convert?: unknown }).convert === 'function'
}

function isClass(value: (...args: never[]) => unknown): boolean {
  return Function.prototype.toString.call(value).startsWith('class')
}

function describeFound(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') {
    const keys = Object.keys(value as object)
    return keys.length === 0 ? 'an object without a convert() method' : `an object with keys ${keys.slice(0, 8).join(', ')} but no convert() method`
  }
  return `a ${typeof value}`
}

/** The context handed to converter factories. */
export function converterContext(config: ConverterConfig, configDir: string, logger: Logger): ConverterContext {
  return {
    configDir,
    logger,
    extensionConfig: config.extensionConfig,
    createJsonConverter: (other?: ConverterConfig): UplinkConverter => createJsonConverter(other ?? config),
  }
}

/**
 * Builds the converter from an export: an object with `convert`, a class (constructed with
 * `(config, ctx)`), or a factory function (`defineConverter` or plain, sync or async). Returned
 * as is; `toUplinkConverter` makes it an UplinkConverter.
 *
 * @param where names the export in errors, e.g. `mapping[1].converter.extension: "X" (/cfg/x.mjs) export "default"`.
 * @throws {ConverterError} `CONVERTER_SHAPE` for anything else (saying what was found); `CONVERTER_LOAD`
 *   when the factory or constructor throws.
 */
export async function instantiateConverter(value: unknown, config: ConverterConfig, ctx: ConverterContext, where: string): Promise<CustomUplinkConverter> {
  let candidate: unknown = value
  if (!hasConvert(value) && typeof value === 'function') {
    const fn = value as (...args: never[]) => unknown
    try {
      candidate = isClass(fn)
        ? new (value as new (c: ConverterConfig, x: ConverterContext) => unknown)(config, ctx)
        : await (value as (c: ConverterConfig, x: ConverterContext) => unknown)(config, ctx)
    } catch (e) {
      if (ConverterError.is(e)) throw e
      const why = e instanceof Error ? e.message : String(e)
      throw new ConverterError('CONVERTER_LOAD', `${where}: creating the converter failed: ${why}`, { path: config.path, cause: e })
    }
    if (!hasConvert(candidate)) {
      throw new ConverterError(
        'CONVERTER_SHAPE',
        `${where}: the ${isClass(fn) ? 'class' : 'factory'} returned ${describeFound(candidate)}, expected an object with a convert(data, request) method`,
        { path: config.path },
      )
    }
  }
  if (!hasConvert(candidate)) {
    throw new ConverterError(
      'CONVERTER_SHAPE',
      `${where} is ${describeFound(candidate)}; expected a defineConverter() factory, a factory function, a class or an object with a convert(data, request) method`,
      { path: config.path },
    )
  }
  return candidate
}
