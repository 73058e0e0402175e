import { RestgateError } from '@restgate/core'

/** Codes a {@link TemplateError} can carry. */
export type TemplateErrorCode =
  /** The template source (or a path expression) does not follow the grammar. */
  | 'TEMPLATE_SYNTAX'
  /** The template source is not a string (a programmer error). */
  | 'TEMPLATE_INVALID_SOURCE'

export interface TemplateErrorOptions {
  /** 0-based index into the template source (or the path expression) where the problem is. */
  position?: number
  /** Where the template sits in the config file, e.g. `mapping[0].converter.timeseries[1].value`. */
  path?: string
  /** The message without its "Invalid template at <path>:" lead-in, for callers that add their own context. */
  reason?: string
  cause?: unknown
}

/** The one error class of `@restgate/templater`. */
export class TemplateError extends RestgateError<TemplateErrorCode> {
  /** 0-based index into the source where the problem is (for `TEMPLATE_SYNTAX`). */
  readonly position: number | undefined
  /** Config path of the template, when the caller gave one. */
  readonly path: string | undefined
  /** What is wrong, without the "Invalid template at <path>:" lead-in (defaults to the message). */
  readonly reason: string

  constructor(code: TemplateErrorCode, message: string, options: TemplateErrorOptions = {}) {
    super(code, message, options)
    this.position = options.position
    this.path = options.path
    this.reason = options.reason ?? message
  }
}
