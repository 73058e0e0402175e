/** Structural logger accepted by every backend. */
export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void
  info(msg: string, data?: Record<string, unknown>): void
  warn(msg: string, data?: Record<string, unknown>): void
  error(msg: string, data?: Record<string, unknown>): void
}

const silent = (): void => {}

/** Default logger: debug/info silent, warn/error to stderr. */
export const defaultLogger: Logger = {
  debug: silent,
  info: silent,
  warn: (msg, data) => {
    if (data === undefined) console.error(`[storage] ${msg}`)
    else console.error(`[storage] ${msg}`, data)
  },
  error: (msg, data) => {
    if (data === undefined) console.error(`[storage] ${msg}`)
    else console.error(`[storage] ${msg}`, data)
  },
}
