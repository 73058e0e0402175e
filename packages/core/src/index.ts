export { RestgateError, isOutboxFull, type OutboxFull, type RestgateErrorOptions } from './error.ts'
export { silentLogger, type LogFn, type Logger } from './logger.ts'
