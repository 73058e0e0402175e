// Prints `N passed, N failed` from vitest's JSON report and exits non-zero on any failure or zero tests.
// Usage: node summarise-tests.mjs <report.json> <vitest exit code> [failed checks (typecheck, lint)]
import { existsSync, readFileSync } from 'node:fs'

const [file = 'test-results.json', vitestCode = '1', checks = '0'] = process.argv.slice(2)
const extra = Number(checks) || 0
if (!existsSync(file)) {
  console.log('vitest wrote no report')
  console.log(`0 passed, ${1 + extra} failed`)
  process.exit(1)
}
const report = JSON.parse(readFileSync(file, 'utf8'))
const passed = report.numPassedTests ?? 0
// A file that fails to load has no failed test but a failed suite: count it, never hide it.
const failedTests = report.numFailedTests ?? 0
const failed = (failedTests > 0 ? failedTests : (report.numFailedTestSuites ?? 0)) + extra
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
if (extra > 0) console.log(`${extra} check(s) failed: typecheck, lint or format (see above)`)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
if (failed > 0 || passed === 0 || vitestCode !== '0') process.exit(1)
