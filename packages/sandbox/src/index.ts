export { createSandbox } from './sandbox.ts'
export { SandboxError } from './errors.ts'
export type { SandboxErrorCode } from './errors.ts'
export { defaultLogger, sandboxDefaults, sessionLimitsDefaults } from './options.ts'
export type {
  AttributeResponseShape,
  Logger,
  RateLimits,
  SandboxBehaviour,
  SandboxOptions,
  SandboxTry,
  SandboxTryRequest,
  SandboxTryResult,
  SessionLimits,
  SessionLimitsInput,
} from './options.ts'
export type {
  DeviceOwner,
  MessageFilter,
  MessageKind,
  RecordedMessage,
  Sandbox,
  SandboxAddress,
  SandboxClient,
  SandboxDevice,
  SandboxState,
  TelemetryEntry,
} from './types.ts'
