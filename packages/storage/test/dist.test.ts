/**
 * The BUILT package, run by plain node: dist/, which this project's globalSetup (test/_build.ts)
 * builds before any test runs; a child process without tsx or vitest opens each backend from it. This
 * is the path users run: the sqlite database thread starts from sqlite-worker.mjs next to
 * sqlite.mjs (no TypeScript, no stringified functions, no eval), better-sqlite3 loads there.
 */
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const pkg = fileURLToPath(new URL('..', import.meta.url))
const out = join(pkg, 'dist')

describe('the built package (dist)', () => {
  it('has the database thread as its own entry file, with no eval and no TypeScript', async () => {
    const files = await readdir(out)
    expect(files).toEqual(expect.arrayContaining(['index.mjs', 'memory.mjs', 'file.mjs', 'sqlite.mjs', 'sqlite-worker.mjs', 'testing.mjs']))
    const sqlite = await readFile(join(out, 'sqlite.mjs'), 'utf8')
    expect(sqlite).toContain('./sqlite-worker.mjs')
    expect(sqlite).not.toMatch(/eval\s*:\s*true|\.toString\(\)\s*\+/)
    // the root, memory and file never load better-sqlite3
    for (const name of ['index.mjs', 'memory.mjs', 'file.mjs']) expect(await readFile(join(out, name), 'utf8')).not.toContain('better-sqlite3')
  })

  it('runs every backend from the build under plain node; sqlite starts sqlite-worker.mjs (WAL, synchronous=FULL)', async () => {
    const { stdout } = await run(process.execPath, [join(pkg, 'test', 'dist-child.mjs'), out], { timeout: 60_000 })
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>
    expect(result['workerEntry']).toBe(pathToFileURL(join(out, 'sqlite-worker.mjs')).href)
    expect(result['pragmas']).toEqual([{ file: expect.stringMatching(/data\.db$/), synchronous: 2, journalMode: 'wal' }])
    expect(result['sqliteAfterReopen']).toEqual([1, 2])
    expect(result['file']).toEqual([0, 1])
    expect(result['memory']).toEqual([0])
    expect(result['error']).toBe('INVALID_OPTIONS')
  }, 90_000)
})
