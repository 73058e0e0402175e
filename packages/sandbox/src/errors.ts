import { RestgateError } from '@restgate/core'

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
export class SandboxError extends RestgateError<SandboxErrorCode> {}
