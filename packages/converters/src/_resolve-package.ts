/** Finds the file a package specifier (`@acme/conv`, `conv/sub`) names, as Node's ESM `import` would. */
import { readFile, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'

/** Export conditions tried, in the order Node's ESM loader honours them. */
const CONDITIONS = new Set(['node', 'import', 'module-sync', 'default'])

export type PackageResolution = { found: true; file: string } | { found: false; packageDir?: string; reason: string }

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

function splitSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/')
  const count = specifier.startsWith('@') ? 2 : 1
  const name = parts.slice(0, count).join('/')
  const rest = parts.slice(count).join('/')
  return { name, subpath: rest === '' ? '.' : `./${rest}` }
}

function resolveTarget(target: unknown, star: string | undefined): string | null | undefined {
  if (typeof target === 'string') return star === undefined ? target : target.replaceAll('*', star)
  if (target === null) return null
  if (Array.isArray(target)) {
    for (const item of target) {
      const hit = resolveTarget(item, star)
      if (hit !== undefined && hit !== null) return hit
    }
    return undefined
  }
  if (typeof target === 'object') {
    for (const [condition, value] of Object.entries(target as Record<string, unknown>)) {
      if (!CONDITIONS.has(condition)) continue
      const hit = resolveTarget(value, star)
      if (hit !== undefined) return hit
    }
  }
  return undefined
}

/** The `exports` target of `subpath` (`.` or `./x`): a relative path, or null/undefined when not exported. */
function resolveExports(exports: unknown, subpath: string): string | null | undefined {
  const isSubpathMap = typeof exports === 'object' && exports !== null && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith('.'))
  if (!isSubpathMap) return subpath === '.' ? resolveTarget(exports, undefined) : undefined
  const map = exports as Record<string, unknown>
  if (Object.hasOwn(map, subpath)) return resolveTarget(map[subpath], undefined)
  let best: { key: string; star: string } | undefined
  for (const key of Object.keys(map)) {
    const at = key.indexOf('*')
    if (at === -1) continue
    const prefix = key.slice(0, at)
    const suffix = key.slice(at + 1)
    if (subpath.length < key.length - 1 || !subpath.startsWith(prefix) || !subpath.endsWith(suffix)) continue
    if (best === undefined || prefix.length > best.key.indexOf('*')) best = { key, star: subpath.slice(prefix.length, subpath.length - suffix.length) }
  }
  return best === undefined ? undefined : resolveTarget(map[best.key], best.star)
}

async function mainFile(packageDir: string, main: unknown): Promise<string | undefined> {
  const base = typeof main === 'string' && main !== '' ? main : 'index.js'
  for (const candidate of [base, `${base}.js`, `${base}.mjs`, join(base, 'index.js'), join(base, 'index.mjs')]) {
    const file = resolve(packageDir, candidate)
    if (await isFile(file)) return file
  }
  return undefined
}

async function resolveInPackage(packageDir: string, subpath: string, specifier: string): Promise<PackageResolution> {
  let manifest: Record<string, unknown>
  try {
    manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as Record<string, unknown>
  } catch (e) {
    return { found: false, packageDir, reason: `its package.json cannot be read: ${e instanceof Error ? e.message : String(e)}` }
  }
  if (manifest.exports !== undefined) {
    const target = resolveExports(manifest.exports, subpath)
    if (typeof target !== 'string') return { found: false, packageDir, reason: `its "exports" has no "${subpath}" entry for import` }
    const file = resolve(packageDir, target)
    return (await isFile(file)) ? { found: true, file } : { found: false, packageDir, reason: `${file} (its export of "${subpath}") does not exist` }
  }
  if (subpath === '.') {
    const file = await mainFile(packageDir, manifest.main)
    return file === undefined ? { found: false, packageDir, reason: 'it has no main file' } : { found: true, file }
  }
  const file = resolve(packageDir, subpath)
  return (await isFile(file)) ? { found: true, file } : { found: false, packageDir, reason: `${file} (${specifier}) does not exist` }
}

/**
 * Resolves a package specifier from `fromDir` by walking up its `node_modules` folders, honouring
 * `exports` (conditions `node`, `import`, `module-sync`, `default`) or `main`. Every folder looked
 * at is appended to `looked`.
 */
export async function resolvePackage(specifier: string, fromDir: string, looked: string[]): Promise<PackageResolution> {
  const { name, subpath } = splitSpecifier(specifier)
  let dir = resolve(fromDir)
  for (;;) {
    const packageDir = join(dir, 'node_modules', name)
    looked.push(packageDir)
    if (await isFile(join(packageDir, 'package.json'))) return resolveInPackage(packageDir, subpath, specifier)
    const parent = dirname(dir)
    if (parent === dir) return { found: false, reason: 'not installed' }
    dir = parent
  }
}
