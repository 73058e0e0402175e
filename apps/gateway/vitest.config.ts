import { defineProject, type ViteUserConfig } from 'vitest/config'
import { testPool } from '../../vitest.shared.ts'

const config: ViteUserConfig = defineProject({
  ssr: { resolve: { conditions: ['@restgate/source'] } },
  resolve: { conditions: ['@restgate/source'] },
  test: {
    name: '@restgate/gateway',
    globalSetup: ['test/_build.ts'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // end-to-end tests start processes and wait for real events: generous limits for a loaded
    // machine (they bound a hang; no test relies on them to pass)
    testTimeout: 60_000,
    hookTimeout: 60_000,
    ...testPool,
  },
})

export default config
