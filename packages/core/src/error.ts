/** Options every restgate error takes. */
export interface RestgateErrorOptions {
  /** The error this one wraps (ES2022 `cause`). */
  cause?: unknown
}

/**
 * The base of every error restgate throws: a stable, machine-readable `code` (SCREAMING_SNAKE_CASE,
 * unique across the restgate packages), a message that says what failed and why, and the ES2022
 * `cause`. Each package has one subclass (`ConfigError`, `ConverterError`, ...) with its own code
 * union; check with the class's `is()`.
 */
export class RestgateError<Code extends string = string> extends Error {
  readonly code: Code

  constructor(code: Code, message: string, options?: RestgateErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    // The class's own name (`ConverterError`, ...), so stack traces and logs say which package failed.
    this.name = new.target.name
  }

  /**
   * The one `is()` rule of restgate: true when `error` is an instance of this class (or a subclass),
   * also one made by another copy of the package (another version in node_modules, another realm) or a
   * look-alike a custom converter throws: an object with a string `code` whose `name`, or the name of
   * a class in its prototype chain, is this class's name. With `code`, the code must match too.
   */
  static is<T extends abstract new (...args: never[]) => RestgateError>(this: T, error: unknown, code?: string): error is InstanceType<T> {
    if (typeof error !== 'object' || error === null) return false
    const candidate = error as { code?: unknown; name?: unknown }
    if (typeof candidate.code !== 'string' || (code !== undefined && candidate.code !== code)) return false
    if (error instanceof this) return true
    const wanted = this.name
    if (candidate.name === wanted) return true
    for (let proto: unknown = Object.getPrototypeOf(error); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      if ((proto as { constructor?: { name?: unknown } }).constructor?.name === wanted) return true
    }
    return false
  }
}

/**
 * The contract between a sink that stores data and the HTTP server in front of it: a sink rejects
 * with an error of code `OUTBOX_FULL` (for example `@restgate/tb-client`'s `OutboxFullError`) when it
 * has no room, and says when to retry. The server answers 503 with `Retry-After`.
 */
export interface OutboxFull {
  readonly code: 'OUTBOX_FULL'
  /** Seconds after which a retry may find room. */
  readonly retryAfterSeconds: number
}

/** True when `error` says the outbox is full (any error with code `OUTBOX_FULL`; see {@link OutboxFull}). */
export function isOutboxFull(error: unknown): error is OutboxFull {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'OUTBOX_FULL'
}
