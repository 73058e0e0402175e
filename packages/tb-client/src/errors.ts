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

const ERROR_NAMES: ReadonlySet<string> = new Set(['TbClientError', 'StorageFullError', 'OutboxFullError'])

/** Base error of `@restgate/tb-client`; `code` says what went wrong. */
export class TbClientError extends Error {
  readonly code: TbClientErrorCode

  constructor(code: TbClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TbClientError'
    this.code = code
  }

  /** True for any error of this package (checked by name and code, so it works across realms and copies). */
  static is(error: unknown): error is TbClientError {
    return (
      typeof error === 'object' &&
      error !== null &&
      ERROR_NAMES.has((error as { name?: unknown }).name as string) &&
      typeof (error as { code?: unknown }).code === 'string'
    )
  }
}

/** A storage backend has no room for the records (policy `reject`, or nothing left to drop). */
export class StorageFullError extends TbClientError {
  /** Capacity of the backend in records. */
  readonly capacity: number

  constructor(message: string, capacity: number, options?: { cause?: unknown }) {
    super('STORAGE_FULL', message, options)
    this.name = 'StorageFullError'
    this.capacity = capacity
  }

  static override is(error: unknown): error is StorageFullError {
    return TbClientError.is(error) && error.code === 'STORAGE_FULL'
  }
}

/** `send()` could not store the records because the outbox is full; retry after `retryAfterSeconds`. */
export class OutboxFullError extends TbClientError {
  readonly retryAfterSeconds: number

  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super('OUTBOX_FULL', message, options)
    this.name = 'OutboxFullError'
    this.retryAfterSeconds = retryAfterSeconds
  }

  static override is(error: unknown): error is OutboxFullError {
    return TbClientError.is(error) && error.code === 'OUTBOX_FULL'
  }
}
