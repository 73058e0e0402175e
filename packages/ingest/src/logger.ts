/** Structural logger accepted by `createIngestServer` (any object with these four methods). */
export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void
  info(msg: string, data?: Record<string, unknown>): void
  warn(msg: string, data?: Record<string, unknown>): void
  error(msg: string, data?: Record<string, unknown>): void
}

const silent = (): void => {}

function toStderr(msg: string, data?: Record<string, unknown>): void {
  if (data === undefined) console.error(`[ingest] ${msg}`)
  else console.error(`[ingest] ${msg}`, data)
}

/** Default logger: debug/info silent, warn/error to stderr. */
export const defaultLogger: Logger = { debug: silent, info: silent, warn: toStderr, error: toStderr }
