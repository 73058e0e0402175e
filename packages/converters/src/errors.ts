import { RestgateError } from '@restgate/core'

/** Codes a {@link ConverterError} can carry. */
export type ConverterErrorCode =
  /** A custom converter module could not be found or failed to load. */
  | 'CONVERTER_LOAD'
  /** A custom converter module loaded but exports no usable converter (or its factory returned none). */
  | 'CONVERTER_SHAPE'
  /** A custom converter returned something that is not a record, a list of records or a ConvertResult. */
  | 'CONVERTER_RESULT'
  /** A custom converter threw while converting (the original error is the `cause`). */
  | 'CONVERTER_FAILED'
  /** A template of the converter config does not compile (the TemplateError is the `cause`). */
  | 'CONVERTER_CONFIG'
  /** The device name expression found no value in the request: the whole request fails (HTTP 400). */
  | 'DEVICE_NAME_MISSING'
  /** The body is not a JSON object or an array of objects (HTTP 400). */
  | 'BODY_SHAPE'
  /** Downlink: a request could not be built from a rule (used by the downlink builders). */
  | 'DOWNLINK_BUILD'

export interface ConverterErrorOptions {
  /** Where the problem sits in the config file, e.g. `mapping[0].converter.extension`. */
  path?: string
  /** Index of the body element (array bodies) the problem belongs to. */
  index?: number
  cause?: unknown
}

/** The one error class of `@restgate/converters`. */
export class ConverterError extends RestgateError<ConverterErrorCode> {
  /** Config path of the part that failed, when there is one. */
  readonly path: string | undefined
  /** Index of the body element (array bodies) the problem belongs to. */
  readonly index: number | undefined

  constructor(code: ConverterErrorCode, message: string, options: ConverterErrorOptions = {}) {
    super(code, message, options)
    this.path = options.path
    this.index = options.index
  }
}
