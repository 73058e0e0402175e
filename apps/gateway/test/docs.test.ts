/**
 * The docs stay true to the repository: docs/ARCHITECTURE.md's export table matches the code, and
 * every relative link in the Markdown docs names a file that is in the repository.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './_harness.ts'

function markdownFiles(): string[] {
  const files = ['README.md', 'BENCHMARKS.md'].map((f) => join(repoRoot, f))
  // docs/spec holds verbatim copies of outside documents (site-absolute links), so it is not checked
  for (const dir of ['docs', 'deploy']) {
    const full = join(repoRoot, dir)
    if (existsSync(full)) for (const f of readdirSync(full)) if (f.endsWith('.md')) files.push(join(full, f))
  }
  for (const group of ['packages', 'apps', 'examples']) {
    for (const pkg of readdirSync(join(repoRoot, group))) {
      const dir = join(repoRoot, group, pkg)
      if (!existsSync(join(dir, 'package.json'))) continue
      for (const f of readdirSync(dir)) if (f.endsWith('.md') && f !== 'CHANGELOG.md') files.push(join(dir, f))
    }
  }
  return files.filter((f) => existsSync(f))
}

describe('docs', () => {
  it("docs/ARCHITECTURE.md's export table matches the packages' entry points", () => {
    const out = execFileSync(process.execPath, [join(repoRoot, 'scripts/architecture-exports.mjs'), '--check'], { cwd: repoRoot, encoding: 'utf8' })
    expect(out).toContain('matches the code')
  })

  it('every relative link in the Markdown docs names a file of the repository', () => {
    const broken: string[] = []
    for (const file of markdownFiles()) {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
      for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        const target = m[1]!
        if (/^[a-z]+:/i.test(target)) continue // http:, https:, mailto:
        const resolved = join(dirname(file), target)
        if (!resolved.startsWith(repoRoot) || !existsSync(resolved)) broken.push(`${relative(repoRoot, file)} → ${target}`)
      }
    }
    expect(broken).toEqual([])
  })

  it('no doc or source points outside the repository (../shared, the issue tracker)', () => {
    const outside: string[] = []
    for (const file of markdownFiles()) {
      const text = readFileSync(file, 'utf8')
      if (/\.\.\/shared\/|HOUSE-STYLE|\bissue \d+\b/.test(text)) outside.push(relative(repoRoot, file))
    }
    expect(outside).toEqual([])
  })
})
