import type { OutboundRequestConfig } from '@restgate/config'
import { ConverterError } from '../errors.ts'
import { loadExtensionModule } from '../load-extension.ts'
import { defaultLogger, type Logger } from '../logger.ts'
import { createDownlinkBuilder } from './builders.ts'
import { describeExport, pickDownlinkExport, toOutboundRequest } from './custom-downlink.ts'
import { DownlinkBuildError, downlinkFailureOf } from './downlink-error.ts'
import type { DownlinkBuilder, DownlinkConverter } from './types.ts'

export interface LoadDownlinkBuilderOptions {
  /** Folder of the connector's config file; extensions resolve from here. */
  configDir: string
  /** Handed to custom converters as `ctx.logger`; gets body-placeholder warnings. @default warn/error to console.error */
  logger?: Logger
}

export const loadDownlinkBuilderDefaults: Readonly<Required<Pick<LoadDownlinkBuilderOptions, 'logger'>>> = Object.freeze({ logger: defaultLogger })

function isConverter(value: unknown): value is DownlinkConverter {
  return typeof value === 'object' && value !== null && typeof (value as { convert?: unknown }).convert === 'function'
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * The request builder for an `attributeUpdates` / `serverSideRpc` rule: the template builder, or
 * — when the rule names an `extension` — the module's custom downlink converter (its `downlink`
 * export, or a `defineDownlinkConverter` factory / factory function / class / object with
 * `convert` as default, bare-name or `converter` export), whose output is validated on every call.
 *
 * @throws {ConverterError} `CONVERTER_LOAD` (not found, failed to load, factory threw),
 *   `CONVERTER_SHAPE` (no usable export or the factory returned no converter), `CONVERTER_CONFIG`
 *   (a template does not compile). The builder throws {@link DownlinkBuildError}.
 */
export async function loadDownlinkBuilder(rule: OutboundRequestConfig, options: LoadDownlinkBuilderOptions): Promise<DownlinkBuilder> {
  const logger = options.logger ?? loadDownlinkBuilderDefaults.logger
  const extension = rule.extension?.trim() ?? ''
  if (extension === '') return createDownlinkBuilder(rule, { logger })

  const path = `${rule.path}.extension`
  const loaded = await loadExtensionModule(extension, { configDir: options.configDir, path, kind: 'rest' })
  const module = `${path}: ${JSON.stringify(extension)} (${loaded.file})`
  const factory = pickDownlinkExport(loaded.module, loaded.bareName)
  if (factory === undefined) {
    const found = Object.keys(loaded.module)
    throw new ConverterError(
      'CONVERTER_SHAPE',
      `${module} exports no downlink converter: expected a "downlink" export or a defineDownlinkConverter factory as "default"${loaded.bareName === undefined ? '' : ` or "${loaded.bareName}"`}; found ${found.length === 0 ? 'no exports' : `exports ${found.join(', ')}`}`,
      { path },
    )
  }
  let converter: unknown
  try {
    converter = await factory(rule, { configDir: options.configDir, logger, extensionConfig: rule.extensionConfig })
  } catch (e) {
    throw new ConverterError('CONVERTER_LOAD', `${module}: the downlink converter factory threw: ${messageOf(e)}`, { path, cause: e })
  }
  if (!isConverter(converter)) {
    throw new ConverterError(
      'CONVERTER_SHAPE',
      `${module}: the downlink converter factory returned ${describeExport(converter)}, not an object with convert(event, rule)`,
      { path },
    )
  }
  const custom = converter
  logger.debug({ path: rule.path, extension, file: loaded.file }, 'custom downlink converter loaded')
  return async (event) => {
    let output: unknown
    try {
      output = await custom.convert(event, rule)
    } catch (e) {
      if (downlinkFailureOf(e) !== undefined) throw e
      throw new DownlinkBuildError('DOWNLINK_CONVERTER_FAILED', `${path}: the custom downlink converter failed: ${messageOf(e)}`, { path, cause: e })
    }
    return toOutboundRequest(output, rule)
  }
}
