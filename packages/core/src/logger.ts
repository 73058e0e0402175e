/**
 * One logging call: pino's shape, `(fields, message)` or `(message)`. Structured fields first, so a
 * log shipper gets them as JSON keys; the message is a constant sentence, values go in the fields.
 */
export interface LogFn {
  (fields: Record<string, unknown>, message: string): void
  (message: string): void
}

/**
 * The logger every restgate package accepts: pino's method shape, so a pino logger (or a child of
 * one) is passed as it is. Packages never need more than these four levels.
 */
export interface Logger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
}

const noop = (): void => {}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop })
