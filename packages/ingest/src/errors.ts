import { RestgateError } from '@restgate/core'

/** Machine-readable codes of the errors `@restgate/ingest` throws (start-up, listen, close). */
export type IngestErrorCode =
  /** The config asks for something the server cannot do (clash of routes, missing sink method, ...). */
  | 'CONFIG_INVALID'
  /** A TLS certificate, key or client CA file cannot be read or used. */
  | 'TLS_FILE'
  /** Generating or storing the self-signed certificate failed. */
  | 'TLS_GENERATE'
  /** The address is already taken by another process (or another connector). */
  | 'ADDRESS_IN_USE'
  /** Any other failure to listen (permission, unknown host, ...). */
  | 'LISTEN_FAILED'
  /** `listen()` called twice, or after `close()`. */
  | 'INVALID_STATE'

/** Base error of `@restgate/ingest`; `code` says what went wrong. */
export class IngestError extends RestgateError<IngestErrorCode> {}
