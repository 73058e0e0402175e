// Runs the CLI from source for end-to-end tests (the package bin runs the built dist/cli.mjs).
import { main } from '../src/cli.ts'

process.exitCode = await main(process.argv.slice(2))
