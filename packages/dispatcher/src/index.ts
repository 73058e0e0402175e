export { createDispatcher } from './dispatcher.ts'
export { DispatcherError } from './errors.ts'
export type { DispatcherErrorCode, DispatcherErrorOptions } from './errors.ts'
export { defaultLogger } from './logger.ts'
export type { Logger } from './logger.ts'
export { dispatcherDefaults } from './types.ts'
export type {
  AttributeUpdateEvent,
  DispatchReport,
  Dispatcher,
  DispatcherOptions,
  DispatcherStats,
  DispatchHooks,
  FailureKind,
  RequestFailure,
  RequestOutcome,
  RpcEvent,
  RpcPublisher,
} from './types.ts'
