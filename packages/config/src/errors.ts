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
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code: ConfigErrorCode
  readonly file: string | undefined
  readonly issues: readonly ConfigIssue[]

  constructor(code: ConfigErrorCode, message: string, options: ConfigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.file = options.file
    this.issues = options.issues ?? []
  }

  /** True for a ConfigError, also across package copies (checked by name and code, not `instanceof` only). */
  static is(e: unknown): e is ConfigError {
    if (e instanceof ConfigError) return true
    if (typeof e !== 'object' || e === null) return false
    const candidate = e as { name?: unknown; code?: unknown }
    return candidate.name === 'ConfigError' && (candidate.code === 'CONFIG_READ' || candidate.code === 'CONFIG_INVALID')
  }
}
