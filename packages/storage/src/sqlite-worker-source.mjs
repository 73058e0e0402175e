// Starts the database thread from source (src/sqlite-worker.ts) when the package runs unbuilt
// (vitest, tsx): registers tsx's loader in this thread, then loads the TypeScript entry. The built
// package never uses this file; it starts dist/sqlite-worker.mjs directly.
import { register } from 'tsx/esm/api'

register()
await import('./sqlite-worker.ts')
