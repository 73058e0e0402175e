/** Small helpers shared by the durable backends (file and sqlite). */
import { StorageError } from './errors.ts'

/** `ENOSPC: no space left on device, write` → kept as is; adds the errno code when the message lacks it. */
export function describeIoError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error)
  const { code, message } = error as { code?: unknown; message?: unknown }
  const text = typeof message === 'string' ? message : String(error)
  if (typeof code === 'string' && !text.includes(code)) return `${code}: ${text}`
  return text
}

/** Validates a positive integer option; throws INVALID_OPTIONS naming the backend and option. */
export function positiveInt(kind: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new StorageError('INVALID_OPTIONS', `${kind} storage: ${name} must be a positive integer, got ${String(value)}`)
  }
  return value
}
