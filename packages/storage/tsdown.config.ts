import { defineConfig, type UserConfig } from 'tsdown'
import { baseConfig } from '../../tsdown.config.base.ts'

// sqlite-worker is an entry of its own: the sqlite backend starts it as a worker thread from the
// file next to it (dist/sqlite-worker.mjs), so it is built, typed and tested like any other module.
const config: UserConfig = defineConfig(
  baseConfig(['src/index.ts', 'src/memory.ts', 'src/file.ts', 'src/sqlite.ts', 'src/sqlite-worker.ts', 'src/testing.ts']),
) as UserConfig

export default config
