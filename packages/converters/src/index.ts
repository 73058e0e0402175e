export { castValue, describeValue, MAX_JSON_VALUE_DEPTH } from './cast.ts'
export type { CastResult } from './cast.ts'
export { parseDateString } from './date-parse.ts'
export type { DateParseOptions } from './date-parse.ts'
export { defineConverter } from './define-converter.ts'
export { ConverterError } from './errors.ts'
export type { ConverterErrorCode, ConverterErrorOptions } from './errors.ts'
export { CHUNK_ELEMENTS, createJsonConverter } from './json-converter.ts'
export { loadConverter, loadConverterDefaults } from './load-converter.ts'
export type { LoadConverterOptions } from './load-converter.ts'
export { loadExtensionDefaults, loadExtensionModule, pickExtensionExport } from './load-extension.ts'
export type { LoadExtensionOptions, LoadedExtension } from './load-extension.ts'
export { defaultLogger } from './logger.ts'
export type { Logger } from './logger.ts'
export { normaliseResult, toUplinkConverter } from './normalise-result.ts'
export { createRequestInfo } from './request-info.ts'
export { toEpochMs } from './timestamp.ts'
export type {
  ConvertResult,
  ConverterContext,
  ConverterFactory,
  CustomConvertOutput,
  CustomUplinkConverter,
  DroppedDatapoint,
  RequestInfo,
  TelemetryEntry,
  UplinkConverter,
  UplinkRecord,
  UplinkRecordInput,
} from './types.ts'
export * from './downlink/index.ts'
