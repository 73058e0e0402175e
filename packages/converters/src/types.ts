import type { ConverterConfig } from '@restgate/config'
import type { Logger } from './logger.ts'

/** One telemetry entry: the values that share one timestamp (epoch milliseconds). */
export interface TelemetryEntry {
  ts: number
  values: Record<string, unknown>
}

/** What a converter produces for one device (one element of a request). */
export interface UplinkRecord {
  deviceName: string
  /** `'default'` when unknown. */
  deviceType: string
  attributes: Record<string, unknown>
  telemetry: TelemetryEntry[]
}

/** Everything about the HTTP request a converter may look at, besides the parsed data. */
export interface RequestInfo {
  /** Upper-case HTTP method. */
  method: string
  /** Request path without the query string. */
  path: string
  /** Header names lower-cased. */
  headers: Record<string, string>
  query: Record<string, string>
  /** Path parameters of the endpoint (`/dev/{name}` → `{ name }`). */
  params: Record<string, string>
  /** The raw body bytes (empty for a request without a body). */
  body: Uint8Array
  contentType?: string
  /** When the request arrived, epoch milliseconds: the timestamp of data that carries none. */
  receivedAt: number
}

/** A datapoint that was not sent (or, with `warning`, sent with a fallback), and why. */
export interface DroppedDatapoint {
  /** Config path of the item, e.g. `mapping[0].converter.timeseries[1].value`. */
  path: string
  /** The datapoint key, when it could be rendered. */
  key?: string
  /** Why, e.g. `missing ${hum}` or `cannot cast "abc" to double`. */
  reason: string
  /** Index of the body element (array bodies). */
  index?: number
  /** True when the datapoint WAS sent and only a fallback applied (e.g. an unparsable `tsField`). */
  warning?: boolean
}

/** The result of one conversion: the records to send and the datapoints left out. */
export interface ConvertResult {
  records: UplinkRecord[]
  dropped: DroppedDatapoint[]
}

/** Turns the parsed data of one HTTP request into records for ThingsBoard. */
export interface UplinkConverter {
  convert(data: unknown, request: RequestInfo): ConvertResult | Promise<ConvertResult>
}

/** A record as a custom converter may return it: only `deviceName` is required. */
export interface UplinkRecordInput {
  deviceName: string
  /** @default 'default' */
  deviceType?: string
  /** @default {} */
  attributes?: Record<string, unknown>
  /** Entries without `ts` get the request's arrival time. @default [] */
  telemetry?: Array<{ ts?: number; values: Record<string, unknown> }>
}

/** What a custom converter's `convert` may return (sync or as a Promise). */
export type CustomConvertOutput = UplinkRecordInput | UplinkRecordInput[] | { records: UplinkRecordInput[]; dropped?: DroppedDatapoint[] }

/** A converter written by a user: like {@link UplinkConverter}, with a looser result. */
export interface CustomUplinkConverter {
  convert(data: unknown, request: RequestInfo): CustomConvertOutput | Promise<CustomConvertOutput>
}

/** What a converter factory receives besides the converter config. */
export interface ConverterContext {
  /** Folder of the connector's config file. */
  configDir: string
  logger: Logger
  /** `converter.extensionConfig` (or the old `extension-config`), `{}` when absent. */
  extensionConfig: Record<string, unknown>
  /** The built-in JSON converter on the same (or another) config, for converters that fall back to it. */
  createJsonConverter: (config?: ConverterConfig) => UplinkConverter
}

/** Builds a converter from its config; see `defineConverter`. */
export type ConverterFactory = (config: ConverterConfig, ctx: ConverterContext) => CustomUplinkConverter | Promise<CustomUplinkConverter>
