/** Machine-readable reason of a {@link SandboxError}. */
export type SandboxErrorCode =
  /** An option passed to `createSandbox` (or `configure`) is out of range. */
  | 'INVALID_OPTION'
  /** An argument of a method (device name, RPC method, ...) is not usable. */
  | 'INVALID_ARGUMENT'
  /** The MQTT or HTTP listener could not be bound (port taken, bad host, ...). */
  | 'LISTEN_FAILED'
  /** A downlink method was called while the sandbox is not started. */
  | 'NOT_STARTED'
  /** `sendRpc` got no reply from the gateway in time. */
  | 'RPC_TIMEOUT'
  /** `waitFor` saw no state matching the predicate in time. */
  | 'WAIT_TIMEOUT'
  /** The sandbox was stopped while the operation was pending. */
  | 'STOPPED'

/** The one error class of `@restgate/sandbox`; check with `SandboxError.is(e)`. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError' as const
  readonly code: SandboxErrorCode

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  /** True for a SandboxError, also one from another copy of this package (checked by name and code). */
  static is(error: unknown, code?: SandboxErrorCode): error is SandboxError {
    if (typeof error !== 'object' || error === null) return false
    const e = error as { name?: unknown; code?: unknown }
    if (e.name !== 'SandboxError' || typeof e.code !== 'string') return false
    return code === undefined || e.code === code
  }
}
