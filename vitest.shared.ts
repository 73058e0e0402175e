/**
 * Settings shared by the workspace's vitest projects (each package's vitest.config.ts).
 *
 * `testPool`: worker threads that run file after file without a fresh module graph each time (within
 * one project: the root vitest.config.ts makes the whole workspace one project for that reason). Against
 * one forked process per file (vitest's default), this halves the CPU time of the packages' tests
 * (about 130 s → 75 s on 2 cores), most of which was starting processes and importing the same
 * modules again. It holds because no test leaves state in a shared module: cleanups are the file's
 * own `afterEach`/`onTestFinished` (never a hook registered by an imported helper, which would run
 * for the first file only), and no test mocks a module.
 */
export const testPool = { pool: 'threads', isolate: false } as const
