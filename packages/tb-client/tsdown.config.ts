import { defineConfig, type UserConfig } from 'tsdown'
import { baseConfig } from '../../tsdown.config.base.ts'

const config: UserConfig = defineConfig(baseConfig(['src/index.ts', 'src/messages.ts'])) as UserConfig

export default config
