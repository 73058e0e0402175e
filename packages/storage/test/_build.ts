/**
 * vitest globalSetup: src/sqlite.test.ts runs the BUILT sqlite backend (dist/sqlite.mjs and its
 * database thread dist/sqlite-worker.mjs). Builds this package and what it depends on first (turbo:
 * a cached no-op when nothing changed), so a test never runs a stale build after an edit of the
 * sources. RESTGATE_TEST_SKIP_BUILD=1 skips it (the caller built already).
 */
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  if (process.env.RESTGATE_TEST_SKIP_BUILD === '1') return
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..')
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@restgate/storage...', '--output-logs=errors-only'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}
