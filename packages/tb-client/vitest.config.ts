import { defineProject, type ViteUserConfig } from 'vitest/config'
import { testPool } from '../../vitest.shared.ts'

const config: ViteUserConfig = defineProject({
  ssr: { resolve: { conditions: ['@restgate/source'] } },
  resolve: { conditions: ['@restgate/source'] },
  test: { name: '@restgate/tb-client', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 20_000, hookTimeout: 20_000, ...testPool },
})

export default config
