/** The logger restgate packages accept (structurally compatible with the gateway's). */
export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void
  info(msg: string, data?: Record<string, unknown>): void
  warn(msg: string, data?: Record<string, unknown>): void
  error(msg: string, data?: Record<string, unknown>): void
}

function toStderr(level: string, msg: string, data?: Record<string, unknown>): void {
  if (data === undefined) console.error(`[dispatcher] ${level} ${msg}`)
  else console.error(`[dispatcher] ${level} ${msg}`, data)
}

/** Default logger: debug and info are silent, warn and error go to `console.error`. */
export const defaultLogger: Logger = Object.freeze({
  debug(): void {},
  info(): void {},
  warn(msg: string, data?: Record<string, unknown>): void {
    toStderr('WARN', msg, data)
  },
  error(msg: string, data?: Record<string, unknown>): void {
    toStderr('ERROR', msg, data)
  },
})
