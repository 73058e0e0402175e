import type { ConverterFactory } from './types.ts'

/**
 * Declares a custom converter: a typed identity helper. Export the result (as `default`, as
 * `converter`, or under the name the config's `extension` gives) from the module that
 * `converter.extension` points at.
 *
 * ```ts
 * export default defineConverter((config, ctx) => ({
 *   convert(data, request) {
 *     return { deviceName: 'Meter-1', telemetry: [{ ts: request.receivedAt, values: { bytes: request.body.length } }] }
 *   },
 * }))
 * ```
 */
export function defineConverter<F extends ConverterFactory>(factory: F): F {
  return factory
}
