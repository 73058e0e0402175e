import { RestgateError } from '@restgate/core'

/** Machine-readable codes of every error a storage backend raises. */
export type StorageErrorCode = 'STORAGE_FULL' | 'STORAGE_IO' | 'STORAGE_CLOSED' | 'INVALID_RECORD' | 'INVALID_OPTIONS'

/** Base error of `@restgate/storage`; `code` says what went wrong; check with `StorageError.is(e, code?)`. */
export class StorageError extends RestgateError<StorageErrorCode> {}

/**
 * A backend has no room for the records (policy `reject`, or nothing left to drop). Its `name` is
 * `StorageFullError` and its `code` `STORAGE_FULL`, which is what consumers (tb-client) check.
 */
export class StorageFullError extends StorageError {
  /** Capacity of the backend in records. */
  readonly capacity: number

  constructor(message: string, capacity: number, options?: { cause?: unknown }) {
    super('STORAGE_FULL', message, options)
    this.capacity = capacity
  }
}
