import { RestgateError } from '@restgate/core'
import type { ConfigIssue } from './model.ts'

/** Codes a {@link ConfigError} can carry. */
export type ConfigErrorCode =
  /** A config file could not be read (missing, unreadable, a folder, ...). */
  | 'CONFIG_READ'
  /** A config has issues (thrown by `unwrapConfig`; `issues` lists them). */
  | 'CONFIG_INVALID'

export interface ConfigErrorOptions {
  /** The config file concerned, when there is one. */
  file?: string
  issues?: readonly ConfigIssue[]
  cause?: unknown
}

/** The one error class of `@restgate/config`. Validation itself never throws: it returns issues. */
export class ConfigError extends RestgateError<ConfigErrorCode> {
  readonly file: string | undefined
  readonly issues: readonly ConfigIssue[]

  constructor(code: ConfigErrorCode, message: string, options: ConfigErrorOptions = {}) {
    super(code, message, options)
    this.file = options.file
    this.issues = options.issues ?? []
  }
}
