import { readdirSync, existsSync } from 'node:fs'
import { defineConfig } from 'vitest/config'
import base from './vitest.config'
const dirs = ['packages', 'apps', 'examples'].flatMap((d) => readdirSync(d).map((n) => `${d}/${n}`)).filter((d) => existsSync(`${d}/vitest.config.ts`))
export default defineConfig({
  test: {
    ...base.test,
    projects: dirs.map((d) => ({ extends: `./${d}/vitest.config.ts`, root: `./${d}`, test: { setupFiles: ['/tmp/i13/cpu-setup.ts'] } })),
  },
})
