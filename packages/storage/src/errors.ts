/** Machine-readable codes of every error a storage backend raises. */
export type StorageErrorCode = 'STORAGE_FULL' | 'STORAGE_IO' | 'STORAGE_CLOSED' | 'INVALID_RECORD' | 'INVALID_OPTIONS'

const ERROR_NAMES: ReadonlySet<string> = new Set(['StorageError', 'StorageFullError'])

/** Base error of `@restgate/storage`; `code` says what went wrong. */
export class StorageError extends Error {
  readonly code: StorageErrorCode

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageError'
    this.code = code
  }

  /** True for any error of this package (checked by name and code, so it works across realms and copies). */
  static is(error: unknown): error is StorageError {
    return (
      typeof error === 'object' &&
      error !== null &&
      ERROR_NAMES.has((error as { name?: unknown }).name as string) &&
      typeof (error as { code?: unknown }).code === 'string'
    )
  }
}

/**
 * A backend has no room for the records (policy `reject`, or nothing left to drop). Its `name` is
 * `StorageFullError` and its `code` `STORAGE_FULL`, which is what consumers (tb-client) check.
 */
export class StorageFullError extends StorageError {
  /** Capacity of the backend in records. */
  readonly capacity: number

  constructor(message: string, capacity: number, options?: { cause?: unknown }) {
    super('STORAGE_FULL', message, options)
    this.name = 'StorageFullError'
    this.capacity = capacity
  }

  static override is(error: unknown): error is StorageFullError {
    return StorageError.is(error) && error.code === 'STORAGE_FULL'
  }
}
