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

/**
 * The default logger of a package used without one: debug and info dropped, warn and error to
 * `console.error` as `[name] WARN message` (with the fields after it).
 */
export function stderrLogger(name: string): Logger {
  const write =
    (level: string) =>
    (fields: Record<string, unknown> | string, message?: string): void => {
      if (typeof fields === 'string') console.error(`[${name}] ${level} ${fields}`)
      else console.error(`[${name}] ${level} ${message ?? ''}`, fields)
    }
  return Object.freeze({ debug: noop, info: noop, warn: write('WARN'), error: write('ERROR') })
}

/**
 * Makes a {@link LogFn} of a function that takes the message first, for loggers that collect or
 * print lines (`warn: logFnOf((message, fields) => lines.push({ message, fields }))`).
 */
export function logFnOf(write: (message: string, fields?: Record<string, unknown>) => void): LogFn {
  return (fields: Record<string, unknown> | string, message?: string): void => {
    if (typeof fields === 'string') write(fields)
    else write(message ?? '', fields)
  }
}
