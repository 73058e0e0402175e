import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@restgate/source'] } },
  resolve: { conditions: ['@restgate/source'] },
  test: { name: '@restgate/dispatcher', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 20_000, hookTimeout: 20_000 },
})
