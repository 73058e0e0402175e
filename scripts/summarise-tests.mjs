// Prints `N passed, N failed` from vitest's JSON report and exits non-zero on failure or zero tests.
import { existsSync, readFileSync } from 'node:fs'

const [file = 'test-results.json', vitestCode = '1'] = process.argv.slice(2)
if (!existsSync(file)) {
  console.log('vitest wrote no report')
  console.log('0 passed, 1 failed')
  process.exit(1)
}
const report = JSON.parse(readFileSync(file, 'utf8'))
const passed = report.numPassedTests ?? 0
const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0) - 0
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
console.log(`${passed} passed, ${report.numFailedTests ?? 0} failed${skipped ? `, ${skipped} skipped` : ''}`)
if (failed > 0 || passed === 0 || vitestCode !== '0') process.exit(1)
