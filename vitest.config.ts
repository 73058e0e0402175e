import { availableParallelism } from 'node:os'
import { defineConfig, type ViteUserConfig } from 'vitest/config'
import { LongestFirst } from './vitest.sequencer.ts'

const config: ViteUserConfig = defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'examples/*'],
    // Most test time is spent waiting on sockets, child processes and disks, not on the CPU: two test
    // files per core keep a 2-core machine busy (vitest's default would run one file at a time there).
    maxWorkers: Math.max(2, availableParallelism() * 2),
    // longest files first, across projects, so that the run does not end on one long file
    sequence: { sequencer: LongestFirst },
  },
})

export default config
