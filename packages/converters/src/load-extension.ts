import { stat } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { resolvePackage } from './_resolve-package.ts'
import { ConverterError } from './errors.ts'

export interface LoadExtensionOptions {
  /** Folder of the connector's config file: paths and packages resolve from here. */
  configDir: string
  /** Config path of the `extension` key (e.g. `mapping[1].converter.extension`), named in errors. */
  path: string
  /** Connector kind: a bare name is looked up in `<configDir>/extensions/<kind>/`. @default 'rest' */
  kind?: string
}

export const loadExtensionDefaults: Readonly<Required<Pick<LoadExtensionOptions, 'kind'>>> = Object.freeze({ kind: 'rest' })

/** A loaded extension module. */
export interface LoadedExtension {
  /** The specifier as the config gives it. */
  specifier: string
  /** Absolute path of the module file that was imported. */
  file: string
  /** The module namespace (its exports). */
  module: Record<string, unknown>
  /** The name when the specifier is a bare name as in the original (`CustomConverter`). */
  bareName: string | undefined
}

const BARE_NAME = /^[A-Za-z_$][\w$]*$/
const SCRIPT_FILE = /\.(?:[mc]?js|[mc]?ts)$/i
const RELATIVE = /^\.\.?(?:[/\\]|$)/

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

async function importFile(file: string, specifier: string, path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new ConverterError('CONVERTER_LOAD', `${path}: extension ${JSON.stringify(specifier)} (${file}) failed to load: ${why}`, { path, cause: e })
  }
}

function notFound(specifier: string, path: string, looked: readonly string[], notes: readonly string[]): ConverterError {
  const detail = notes.length > 0 ? ` (${notes.join('; ')})` : ''
  return new ConverterError('CONVERTER_LOAD', `${path}: cannot find extension ${JSON.stringify(specifier)}${detail}; looked in: ${looked.join(', ')}`, { path })
}

/**
 * Loads a converter module named by a config's `extension`:
 * - a path (`./conv.mjs`, `../x/conv.js`, absolute, `file:` URL, or `dir/conv.mjs`), relative to `configDir`;
 * - a package name (`@acme/converter-x`, `conv/sub`), resolved from `configDir` through `node_modules`
 *   as `import` would (`exports` conditions `node`/`import`/`default`, or `main`);
 * - a bare name as in the original (`CustomConverter`): `<configDir>/extensions/<kind>/<Name>.mjs`,
 *   then `.js`, then a package of that name.
 *
 * @throws {ConverterError} `CONVERTER_LOAD` naming the config path and every place it looked, or
 *   the file and the reason when the module was found but failed to load.
 */
export async function loadExtensionModule(specifier: string, options: LoadExtensionOptions): Promise<LoadedExtension> {
  const kind = options.kind ?? loadExtensionDefaults.kind
  const { configDir, path } = options
  const spec = specifier.trim()
  if (spec === '') throw new ConverterError('CONVERTER_LOAD', `${path}: the extension name is empty`, { path })
  const looked: string[] = []
  const notes: string[] = []
  const bareName = BARE_NAME.test(spec) ? spec : undefined
  const tryFile = async (file: string): Promise<LoadedExtension | undefined> => {
    looked.push(file)
    if (!(await isFile(file))) return undefined
    return { specifier, file, module: await importFile(file, specifier, path), bareName }
  }

  const isPath = spec.startsWith('file:') || isAbsolute(spec) || RELATIVE.test(spec)
  if (isPath) {
    const file = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(configDir, spec)
    const hit = await tryFile(file)
    if (hit !== undefined) return hit
    throw notFound(specifier, path, looked, notes)
  }
  if (bareName !== undefined) {
    for (const extension of ['.mjs', '.js']) {
      const hit = await tryFile(join(configDir, 'extensions', kind, `${bareName}${extension}`))
      if (hit !== undefined) return hit
    }
  } else if (SCRIPT_FILE.test(spec) && !spec.startsWith('@')) {
    const hit = await tryFile(resolve(configDir, spec))
    if (hit !== undefined) return hit
  }
  const resolution = await resolvePackage(spec, configDir, looked)
  if (resolution.found) return { specifier, file: resolution.file, module: await importFile(resolution.file, specifier, path), bareName }
  if (resolution.packageDir !== undefined) notes.push(`package found at ${resolution.packageDir} but ${resolution.reason}`)
  throw notFound(specifier, path, looked, notes)
}

/**
 * The export of a loaded extension that holds the converter: the export named like the bare name
 * (`CustomConverter`), else `default`, else `converter` — the first that is set and that `accept`
 * (when given) accepts. Undefined when there is none.
 */
export function pickExtensionExport(loaded: LoadedExtension, accept?: (value: unknown) => boolean): { name: string; value: unknown } | undefined {
  const names = [...(loaded.bareName === undefined ? [] : [loaded.bareName]), 'default', 'converter']
  for (const name of names) {
    if (!Object.hasOwn(loaded.module, name)) continue
    const value = loaded.module[name]
    if (value !== undefined && (accept === undefined || accept(value))) return { name, value }
  }
  return undefined
}
