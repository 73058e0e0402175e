/**
 * vitest globalSetup: the end-to-end tests run the real `restgate` bin, which runs the built
 * dist/. Builds the gateway and every package it depends on first (turbo: a cached no-op when
 * nothing changed), so a test never runs a stale build after an edit of the sources.
 */
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..')
  if (process.env.RESTGATE_TEST_SKIP_BUILD === '1') return
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@restgate/gateway...', '--output-logs=errors-only'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}
