#!/usr/bin/env node
// The `restgate` command. Runs the built CLI (dist/); `bash scripts/setup.sh` builds it.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli.mjs', import.meta.url)
if (!existsSync(cli)) {
  console.error('restgate is not built yet: run `bash scripts/setup.sh` (or `pnpm build`) in the repository first.')
  process.exit(1)
}
const { main } = await import(cli.href)
process.exitCode = await main(process.argv.slice(2))
