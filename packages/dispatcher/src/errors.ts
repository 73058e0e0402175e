/** Codes a {@link DispatcherError} can carry. */
export type DispatcherErrorCode =
  /** A certificate/key/CA file of an outbound `security` section could not be read: logged at `ready()`, every request of that rule fails with it. */
  | 'DISPATCHER_TLS_FILES'
  /** A rule could not be prepared at `ready()`: a template does not compile or a custom converter does not load (the cause says which). */
  | 'DISPATCHER_RULE'
  /** The dispatcher was closed; no new events are taken. */
  | 'DISPATCHER_CLOSED'
  /** Invalid options passed to `createDispatcher` (a programmer error). */
  | 'DISPATCHER_OPTIONS'

export interface DispatcherErrorOptions {
  /** Config path of the rule part that failed, e.g. `serverSideRpc[1].security.cert`. */
  path?: string
  cause?: unknown
}

/** The one error class of `@restgate/dispatcher`. */
export class DispatcherError extends Error {
  override readonly name = 'DispatcherError'
  readonly code: DispatcherErrorCode
  /** Config path of the part that failed, when there is one. */
  readonly path: string | undefined

  constructor(code: DispatcherErrorCode, message: string, options: DispatcherErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.path = options.path
  }

  /** True for a DispatcherError, also across package copies (checked by name and code, not `instanceof` only). */
  static is(e: unknown): e is DispatcherError {
    if (e instanceof DispatcherError) return true
    if (typeof e !== 'object' || e === null) return false
    const candidate = e as { name?: unknown; code?: unknown }
    return candidate.name === 'DispatcherError' && typeof candidate.code === 'string' && candidate.code.startsWith('DISPATCHER_')
  }
}
