import { logFnOf } from '@restgate/core'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConverterError } from '../src/errors.ts'
import { loadConverter } from '../src/load-converter.ts'
import { loadExtensionModule, pickExtensionExport } from '../src/load-extension.ts'
import type { Logger } from '../src/logger.ts'
import { createRequestInfo } from '../src/request-info.ts'
import { createTestConverterConfig } from '../src/test-config.ts'
import type { ConvertResult } from '../src/types.ts'
import { converterSource, makeTree } from './_fixtures.ts'

const T0 = 1_700_000_000_000
const request = createRequestInfo({ receivedAt: T0, body: new Uint8Array([0, 1, 2]) })

let root: { dir: string; cleanup: () => Promise<void> }
let configDir: string

beforeAll(async () => {
  root = await makeTree({
    'cfg/package.json': '{"type":"module"}',
    'cfg/conv.mjs': converterSource('by-path', (b) => `export default ${b}`),
    'cfg/sub/plain-factory.mjs': converterSource('plain-factory', (b) => `export default (config, ctx) => (${b})`),
    'cfg/async-factory.mjs': converterSource('async-factory', (b) => `export default async (config, ctx) => (${b})`),
    'cfg/named-converter.mjs': converterSource('named', (b) => `export const converter = ${b}`),
    'cfg/class.mjs': `export default class Conv { constructor(config, ctx) { this.key = ctx.extensionConfig.key } convert() { return { deviceName: 'class', attributes: { key: this.key } } } }\n`,
    'cfg/extensions/rest/CustomConverter.mjs': converterSource(
      'bare-mjs',
      (b) => `export const CustomConverter = ${b}\nexport default { convert() { return { deviceName: 'wrong-default', attributes: { a: 1 } } } }`,
    ),
    'cfg/extensions/rest/JsConverter.js': converterSource('bare-js', (b) => `export default ${b}`),
    'cfg/extensions/rest/Broken.mjs': 'export default {\n',
    'cfg/extensions/rest/Throws.mjs': "throw new Error('init failed')\n",
    'cfg/extensions/rest/Empty.mjs': 'export const helper = 1\nexport function other() {}\n',
    'cfg/extensions/rest/NotAConverter.mjs': 'export default 42\n',
    'cfg/extensions/rest/BadFactory.mjs': 'export default () => ({ transform() {} })\n',
    'cfg/extensions/rest/FailingFactory.mjs': "export default () => { throw new Error('bad extensionConfig') }\n",
    'cfg/extensions/rest/WithDownlink.mjs': `const downlink = () => ({ convert() { return { url: 'http://x/' } } })\nObject.defineProperty(downlink, Symbol.for('restgate.downlinkConverter'), { value: true })\nexport default downlink\n${converterSource('uplink-of-shared', (b) => `export const converter = ${b}`)}`,
    'cfg/extensions/rest/Context.mjs': `export default (config, ctx) => ({ convert(data, request) {
      const json = ctx.createJsonConverter().convert(data, request)
      return { records: [...json.records, { deviceName: 'ctx', attributes: { configDir: ctx.configDir, key: ctx.extensionConfig.key, path: config.path, hasLogger: typeof ctx.logger.warn === 'function' } }], dropped: json.dropped }
    } })\n`,
    'cfg/node_modules/@acme/converter-x/package.json': JSON.stringify({
      name: '@acme/converter-x',
      type: 'module',
      exports: { '.': { require: './nope.cjs', import: './index.mjs' }, './extra': './extra.mjs' },
    }),
    'cfg/node_modules/@acme/converter-x/index.mjs': converterSource('scoped-package', (b) => `export default ${b}`),
    'cfg/node_modules/@acme/converter-x/extra.mjs': converterSource('package-subpath', (b) => `export default ${b}`),
    'cfg/node_modules/@acme/hidden/package.json': JSON.stringify({ name: '@acme/hidden', exports: { './public': './public.mjs' } }),
    'cfg/node_modules/mainpkg/package.json': JSON.stringify({ name: 'mainpkg', main: 'lib/entry' }),
    'cfg/node_modules/mainpkg/lib/entry.mjs': converterSource('main-package', (b) => `export default ${b}`),
    'node_modules/parentpkg/package.json': JSON.stringify({ name: 'parentpkg', type: 'module', exports: './index.js' }),
    'node_modules/parentpkg/index.js': converterSource('parent-package', (b) => `export default ${b}`),
    'cfg/node_modules/lowercaseconv/package.json': JSON.stringify({ name: 'lowercaseconv', type: 'module', exports: { import: './i.mjs' } }),
    'cfg/node_modules/lowercaseconv/i.mjs': converterSource('bare-package', (b) => `export const lowercaseconv = ${b}`),
  })
  configDir = join(root.dir, 'cfg')
})

afterAll(async () => {
  await root.cleanup()
})

async function deviceOf(extension: string, extensionConfig: Record<string, unknown> = {}): Promise<string | undefined> {
  const converter = await loadConverter(createTestConverterConfig({ extension, extensionConfig, path: 'mapping[1].converter' }), { configDir })
  const result = (await converter.convert({}, request)) as ConvertResult
  return result.records[0]?.deviceName
}

async function loadError(extension: string | undefined, type: 'json' | 'custom' = 'custom'): Promise<ConverterError> {
  const config = createTestConverterConfig({ type, path: 'mapping[1].converter', ...(extension === undefined ? {} : { extension }) })
  try {
    await loadConverter(config, { configDir })
  } catch (e) {
    if (ConverterError.is(e)) return e
    throw e
  }
  throw new Error('expected a ConverterError')
}

describe('loadConverter: where a custom converter is found', () => {
  it.each([
    ['./conv.mjs', 'by-path'],
    ['conv.mjs', 'by-path'],
    ['./sub/plain-factory.mjs', 'plain-factory'],
    ['./async-factory.mjs', 'async-factory'],
    ['./named-converter.mjs', 'named'],
    ['CustomConverter', 'bare-mjs'],
    ['JsConverter', 'bare-js'],
    ['@acme/converter-x', 'scoped-package'],
    ['@acme/converter-x/extra', 'package-subpath'],
    ['mainpkg', 'main-package'],
    ['parentpkg', 'parent-package'],
    ['lowercaseconv', 'bare-package'],
  ])('%s → %s', async (extension, device) => {
    expect(await deviceOf(extension)).toBe(device)
  })

  it('loads absolute paths and file: URLs', async () => {
    expect(await deviceOf(join(configDir, 'conv.mjs'))).toBe('by-path')
    expect(await deviceOf(pathToFileURL(join(configDir, 'conv.mjs')).href)).toBe('by-path')
  })

  it('constructs a class with (config, ctx)', async () => {
    const converter = await loadConverter(createTestConverterConfig({ extension: './class.mjs', extensionConfig: { key: 'Totaliser' } }), { configDir })
    expect(await converter.convert({}, request)).toEqual({
      records: [{ deviceName: 'class', deviceType: 'default', attributes: { key: 'Totaliser' }, telemetry: [] }],
      dropped: [],
    })
  })

  it('skips a defineDownlinkConverter default export and takes `converter`', async () => {
    expect(await deviceOf('WithDownlink')).toBe('uplink-of-shared')
  })

  it('gives the factory its context, with a working JSON fallback on the same config', async () => {
    const warnings: string[] = []
    const logger: Logger = { debug() {}, info() {}, warn: logFnOf((m) => void warnings.push(m)), error() {} }
    const config = createTestConverterConfig({
      extension: 'Context',
      extensionConfig: { key: 'K' },
      deviceName: '${id}',
      timeseries: [{ key: 't', value: '${t}', type: 'double' }],
      path: 'mapping[4].converter',
    })
    const converter = await loadConverter(config, { configDir, logger })
    expect(await converter.convert({ id: 'J', t: '1.5' }, request)).toEqual({
      records: [
        { deviceName: 'J', deviceType: 'default', attributes: {}, telemetry: [{ ts: T0, values: { t: 1.5 } }] },
        { deviceName: 'ctx', deviceType: 'default', attributes: { configDir, key: 'K', path: 'mapping[4].converter', hasLogger: true }, telemetry: [] },
      ],
      dropped: [],
    })
    expect(warnings).toEqual([])
  })

  it('builds the JSON converter when no extension is named', async () => {
    const config = createTestConverterConfig({ deviceName: 'D', attributes: [{ key: 'a', value: '${a}', type: 'int' }] })
    const converter = await loadConverter(config, { configDir })
    expect(converter.convert({ a: '5' }, request)).toEqual({
      records: [{ deviceName: 'D', deviceType: 'default', attributes: { a: 5 }, telemetry: [] }],
      dropped: [],
    })
  })
})

describe('loadConverter: errors', () => {
  it('names the config path and every place it looked for a bare name', async () => {
    const error = await loadError('Missing')
    expect(error.code).toBe('CONVERTER_LOAD')
    expect(error.path).toBe('mapping[1].converter.extension')
    expect(error.message).toContain('mapping[1].converter.extension: cannot find extension "Missing"; looked in: ')
    expect(error.message).toContain(join(configDir, 'extensions', 'rest', 'Missing.mjs'))
    expect(error.message).toContain(join(configDir, 'extensions', 'rest', 'Missing.js'))
    expect(error.message).toContain(join(configDir, 'node_modules', 'Missing'))
    expect(error.message).toContain(join(root.dir, 'node_modules', 'Missing'))
  })

  it('names the resolved file for a missing path', async () => {
    const error = await loadError('./nope.mjs')
    expect(error.message).toBe(`mapping[1].converter.extension: cannot find extension "./nope.mjs"; looked in: ${join(configDir, 'nope.mjs')}`)
  })

  it('says why a package that exists cannot be used', async () => {
    const error = await loadError('@acme/hidden')
    expect(error.code).toBe('CONVERTER_LOAD')
    expect(error.message).toContain(`package found at ${join(configDir, 'node_modules', '@acme', 'hidden')} but its "exports" has no "." entry for import`)
  })

  it.each([
    ['Broken', 'failed to load'],
    ['Throws', 'failed to load: init failed'],
  ])('reports a module that fails to load (%s)', async (name, text) => {
    const error = await loadError(name)
    expect(error.code).toBe('CONVERTER_LOAD')
    expect(error.message).toContain(`mapping[1].converter.extension: extension "${name}" (${join(configDir, 'extensions', 'rest', `${name}.mjs`)}) ${text}`)
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('reports a module without a usable export, listing what it exports', async () => {
    const error = await loadError('Empty')
    expect(error.code).toBe('CONVERTER_SHAPE')
    expect(error.message).toContain('exports no converter: expected an export named "Empty", "default", "converter"; found exports helper, other')
  })

  it('reports an export of the wrong kind', async () => {
    const error = await loadError('NotAConverter')
    expect(error.code).toBe('CONVERTER_SHAPE')
    expect(error.message).toContain('export "default" is a number; expected a defineConverter() factory')
  })

  it('reports a factory that returns no converter', async () => {
    const error = await loadError('BadFactory')
    expect(error.code).toBe('CONVERTER_SHAPE')
    expect(error.message).toContain('the factory returned an object with keys transform but no convert() method')
  })

  it('reports a factory that throws', async () => {
    const error = await loadError('FailingFactory')
    expect(error.code).toBe('CONVERTER_LOAD')
    expect(error.message).toContain('creating the converter failed: bad extensionConfig')
  })

  it('refuses a custom converter without an extension', async () => {
    const error = await loadError(undefined, 'custom')
    expect(error.code).toBe('CONVERTER_LOAD')
    expect(error.message).toBe('mapping[1].converter: type is "custom" but no "extension" names the converter module')
  })
})

describe('loadExtensionModule and pickExtensionExport', () => {
  it('prefers the export named like the bare name over default', async () => {
    const loaded = await loadExtensionModule('CustomConverter', { configDir, path: 'p' })
    expect(loaded.bareName).toBe('CustomConverter')
    expect(loaded.file).toBe(join(configDir, 'extensions', 'rest', 'CustomConverter.mjs'))
    expect(pickExtensionExport(loaded)?.name).toBe('CustomConverter')
  })

  it('has no bare name for paths and packages', async () => {
    const byPath = await loadExtensionModule('./named-converter.mjs', { configDir, path: 'p' })
    expect(byPath.bareName).toBeUndefined()
    expect(pickExtensionExport(byPath)?.name).toBe('converter')
    const byPackage = await loadExtensionModule('@acme/converter-x', { configDir, path: 'p' })
    expect(byPackage.file).toBe(join(configDir, 'node_modules', '@acme', 'converter-x', 'index.mjs'))
  })

  it('rejects an empty specifier', async () => {
    await expect(loadExtensionModule('  ', { configDir, path: 'q.extension' })).rejects.toMatchObject({
      code: 'CONVERTER_LOAD',
      message: 'q.extension: the extension name is empty',
    })
  })
})
