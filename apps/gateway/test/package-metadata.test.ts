/**
 * Every public workspace package can be published as is: complete npm metadata, its LICENSE (the
 * root's Apache-2.0 text) in the package folder and in `files`, types that exist after a build,
 * public access; and changesets versions only the public packages. (The install test publishes them
 * for real; this one is the fast check that also covers a package added later.)
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './_harness.ts'

interface Manifest {
  name: string
  private?: boolean
  license?: string
  homepage?: string
  repository?: { type?: string; url?: string; directory?: string }
  bugs?: { url?: string }
  engines?: { node?: string }
  files?: string[]
  types?: string
  exports?: Record<string, unknown>
  bin?: Record<string, string>
  publishConfig?: { access?: string }
  dependencies?: Record<string, string>
}

function workspacePackages(): Array<{ dir: string; rel: string; pkg: Manifest }> {
  const out: Array<{ dir: string; rel: string; pkg: Manifest }> = []
  for (const group of ['packages', 'apps', 'examples']) {
    for (const name of readdirSync(join(repoRoot, group))) {
      const file = join(repoRoot, group, name, 'package.json')
      if (existsSync(file)) out.push({ dir: join(repoRoot, group, name), rel: `${group}/${name}`, pkg: JSON.parse(readFileSync(file, 'utf8')) as Manifest })
    }
  }
  out.push({ dir: join(repoRoot, 'bench'), rel: 'bench', pkg: JSON.parse(readFileSync(join(repoRoot, 'bench/package.json'), 'utf8')) as Manifest })
  return out
}

const all = workspacePackages()
const publics = all.filter((p) => !p.pkg.private)
const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8')
const REPO = 'https://github.com/restgate/restgate'

describe('publishable packages', () => {
  it('the root LICENSE is the Apache License 2.0', () => {
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//)
    expect(license).toContain('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION')
    expect(license).toContain('END OF TERMS AND CONDITIONS')
  })

  it('the CLI and the sandbox it depends on are public', () => {
    const names = publics.map((p) => p.pkg.name)
    expect(names).toContain('@restgate/gateway')
    expect(names).toContain('@restgate/sandbox')
    const cli = publics.find((p) => p.pkg.name === '@restgate/gateway')!.pkg
    expect(cli.bin).toEqual({ restgate: './bin/restgate.js' })
    // a public package may depend only on public workspace packages
    for (const p of publics) {
      for (const [dep, range] of Object.entries(p.pkg.dependencies ?? {})) {
        if (!range.startsWith('workspace:')) continue
        expect(
          publics.map((q) => q.pkg.name),
          `${p.pkg.name} depends on ${dep}`,
        ).toContain(dep)
      }
    }
  })

  it.each(publics.map((p) => [p.pkg.name, p] as const))('%s has complete metadata and its LICENSE', (_name, { dir, rel, pkg }) => {
    expect(pkg.license).toBe('Apache-2.0')
    expect(pkg.repository).toEqual({ type: 'git', url: `git+${REPO}.git`, directory: rel })
    expect(pkg.homepage).toBe(`${REPO}/tree/main/${rel}#readme`)
    expect(pkg.bugs).toEqual({ url: `${REPO}/issues` })
    expect(pkg.engines?.node).toMatch(/^>=20/)
    expect(pkg.publishConfig?.access).toBe('public')
    expect(pkg.files).toContain('dist')
    expect(pkg.files).toContain('LICENSE')
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), `${rel}/LICENSE`).toBe(license)
    expect(existsSync(join(dir, 'README.md')), `${rel}/README.md`).toBe(true)
    expect(pkg.types).toBe('./dist/index.d.mts')
    expect((pkg.exports?.['.'] as Record<string, string> | undefined)?.types).toBe(pkg.types)
  })

  it('changesets versions the public packages only', () => {
    const config = JSON.parse(readFileSync(join(repoRoot, '.changeset/config.json'), 'utf8')) as {
      access: string
      ignore: string[]
      privatePackages: { version: boolean; tag: boolean }
    }
    expect(config.access).toBe('public')
    expect(config.privatePackages).toEqual({ version: false, tag: false })
    const privates = all.filter((p) => p.pkg.private).map((p) => p.pkg.name)
    expect(privates).toEqual(expect.arrayContaining(['@restgate/bench', '@restgate/example-converter']))
    for (const name of config.ignore) expect(privates, `${name} is ignored by changesets but public`).toContain(name)
    const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(root.scripts.release).toBe('pnpm build && changeset publish')
  })
})
