import { defineConfig, type ViteUserConfig } from 'vitest/config'

const config: ViteUserConfig = defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'examples/*'],
  },
})

export default config
