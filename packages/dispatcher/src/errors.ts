import { RestgateError } from '@restgate/core'

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
export class DispatcherError extends RestgateError<DispatcherErrorCode> {
  /** Config path of the part that failed, when there is one. */
  readonly path: string | undefined

  constructor(code: DispatcherErrorCode, message: string, options: DispatcherErrorOptions = {}) {
    super(code, message, options)
    this.path = options.path
  }
}
