import { availableParallelism } from 'node:os'
import { defineConfig, type ViteUserConfig } from 'vitest/config'
import { testPool } from './vitest.shared.ts'
import { LongestFirst } from './vitest.sequencer.ts'

/**
 * The whole workspace as ONE vitest project (each package's own vitest.config.ts runs that package
 * alone: `pnpm --filter <pkg> test`). One project, because vitest's worker threads are reused only
 * between files of the same project: with a project per package, the longest-first order switched
 * projects almost every file and vitest started 118 worker threads for 146 files, each importing
 * its modules again; as one project it starts `maxWorkers` threads.
 */
const config: ViteUserConfig = defineConfig({
  ssr: { resolve: { conditions: ['@restgate/source'] } },
  resolve: { conditions: ['@restgate/source'] },
  test: {
    name: 'restgate',
    include: ['{packages,apps}/*/{src,test}/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    // builds the gateway and every package it depends on (the storage tests' build included)
    globalSetup: ['apps/gateway/test/_build.ts'],
    // end-to-end tests start processes and wait for real events: generous limits for a loaded
    // machine (they bound a hang; no test relies on them to pass)
    testTimeout: 60_000,
    hookTimeout: 60_000,
    ...testPool,
    // Most test time is spent waiting on sockets, child processes and disks, not on the CPU: two test
    // files per core keep a 2-core machine busy (vitest's default would run one file at a time there).
    maxWorkers: Math.max(2, availableParallelism() * 2),
    // longest files first, so that the run does not end on one long file
    sequence: { sequencer: LongestFirst },
  },
})

export default config
