import type { ConverterConfig } from '@restgate/config'
import { converterContext, instantiateConverter } from './_instantiate.ts'
import { ConverterError } from './errors.ts'
import { isDownlinkConverterFactory } from './downlink/custom-downlink.ts'
import { createJsonConverter } from './json-converter.ts'
import { loadExtensionModule, pickExtensionExport } from './load-extension.ts'
import { defaultLogger, type Logger } from './logger.ts'
import { toUplinkConverter } from './normalise-result.ts'
import type { UplinkConverter } from './types.ts'

export interface LoadConverterOptions {
  /** Folder of the connector's config file; extensions resolve from here. */
  configDir: string
  /** Handed to custom converters as `ctx.logger`. @default warn/error to console.error, debug/info silent */
  logger?: Logger
}

export const loadConverterDefaults: Readonly<Required<Pick<LoadConverterOptions, 'logger'>>> = Object.freeze({ logger: defaultLogger })

/**
 * The converter a mapping's config asks for: the built-in JSON converter, or the custom converter
 * its `extension` names (see `loadExtensionModule` for where it is looked up). The module's export
 * named like a bare `extension`, else its `default`, else `converter` is used (skipping
 * `defineDownlinkConverter` factories): a `defineConverter`
 * factory, a plain factory function, a class, or an object with `convert`. Custom converters get
 * `ctx.createJsonConverter` to fall back to the JSON converter on the same config.
 *
 * @throws {ConverterError} `CONVERTER_LOAD` (not found / failed to load / factory threw),
 *   `CONVERTER_SHAPE` (no usable export), `CONVERTER_CONFIG` (a JSON converter template is invalid).
 */
export async function loadConverter(config: ConverterConfig, options: LoadConverterOptions): Promise<UplinkConverter> {
  const logger = options.logger ?? loadConverterDefaults.logger
  const extension = config.extension?.trim() ?? ''
  if (extension === '') {
    if (config.type === 'custom') {
      throw new ConverterError('CONVERTER_LOAD', `${config.path}: type is "custom" but no "extension" names the converter module`, {
        path: `${config.path}.extension`,
      })
    }
    return createJsonConverter(config)
  }
  const path = `${config.path}.extension`
  const loaded = await loadExtensionModule(extension, { configDir: options.configDir, path, kind: 'rest' })
  const picked = pickExtensionExport(loaded, (value) => !isDownlinkConverterFactory(value))
  const module = `${path}: ${JSON.stringify(extension)} (${loaded.file})`
  if (picked === undefined) {
    const names = [...(loaded.bareName === undefined ? [] : [`"${loaded.bareName}"`]), '"default"', '"converter"'].join(', ')
    const found = Object.keys(loaded.module)
    throw new ConverterError(
      'CONVERTER_SHAPE',
      `${module} exports no converter: expected an export named ${names}; found ${found.length === 0 ? 'no exports' : `exports ${found.join(', ')}`}`,
      { path },
    )
  }
  const label = `custom converter ${JSON.stringify(extension)} (${config.path})`
  const custom = await instantiateConverter(picked.value, config, converterContext(config, options.configDir, logger), `${module} export "${picked.name}"`)
  logger.debug({ path: config.path, extension, file: loaded.file, export: picked.name }, 'custom converter loaded')
  return toUplinkConverter(custom, label)
}
