import { RestgateError, type OutboxFull } from '@restgate/core'

/** Machine-readable codes of every error this package raises. */
export type TbClientErrorCode =
  | 'STORAGE_FULL'
  | 'STORAGE_IO'
  | 'STORAGE_CLOSED'
  | 'OUTBOX_FULL'
  | 'INVALID_RECORD'
  | 'INVALID_OPTIONS'
  | 'INVALID_ARGUMENT'
  | 'TIMEOUT'
  | 'NOT_CONNECTED'
  | 'STOPPED'
  | 'PUBLISH_FAILED'
  | 'CONNECT_FAILED'

/** Base error of `@restgate/tb-client`; `code` says what went wrong. */
export class TbClientError extends RestgateError<TbClientErrorCode> {}

/** A storage backend has no room for the records (policy `reject`, or nothing left to drop). */
export class StorageFullError extends TbClientError {
  /** Capacity of the backend in records. */
  readonly capacity: number

  constructor(message: string, capacity: number, options?: { cause?: unknown }) {
    super('STORAGE_FULL', message, options)
    this.capacity = capacity
  }
}

/** `send()` could not store the records because the outbox is full; retry after `retryAfterSeconds`. */
export class OutboxFullError extends TbClientError implements OutboxFull {
  declare readonly code: 'OUTBOX_FULL'
  readonly retryAfterSeconds: number

  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super('OUTBOX_FULL', message, options)
    this.retryAfterSeconds = retryAfterSeconds
  }
}
