import { stderrLogger, type Logger } from '@restgate/core'

/** The logger this package accepts: pino's method shape (`logger.warn({ fields }, 'message')`), so a pino logger works as it is. */
export type { Logger }

/** Default logger: debug and info dropped, warn and error to `console.error`. */
export const defaultLogger: Logger = stderrLogger('tb-client')
