export { RestgateError, isOutboxFull, type OutboxFull, type RestgateErrorOptions } from './error.ts'
export { logFnOf, silentLogger, stderrLogger, type LogFn, type Logger } from './logger.ts'
export { nextTurn, turnsWaiting } from './turns.ts'
