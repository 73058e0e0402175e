/**
 * `restgate run`'s start-up failures that are the config's fault (exit 2). A module of its own: the
 * error classes come from the dispatcher and ingest packages, which `restgate validate` does not
 * load (it resolves extensions with check-extensions.ts only).
 */
import { ConverterError } from '@restgate/converters'
import { DispatcherError } from '@restgate/dispatcher'
import { IngestError } from '@restgate/ingest'

/**
 * Whether a start-up failure is the config's fault (exit 2): a converter that does not load or
 * compile, a downlink rule that cannot be prepared, an ingest config clash.
 */
export function isConfigFailure(error: unknown): boolean {
  if (ConverterError.is(error)) return error.code === 'CONVERTER_LOAD' || error.code === 'CONVERTER_SHAPE' || error.code === 'CONVERTER_CONFIG'
  if (DispatcherError.is(error)) return error.code === 'DISPATCHER_RULE'
  if (IngestError.is(error)) return error.code === 'CONFIG_INVALID'
  return false
}
