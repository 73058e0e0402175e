import type { ConfigIssue } from './model.ts'
import { describeAt, pathLabel } from './_describe.ts'

/** Collects errors and warnings while a config is validated; every message starts with its path. */
export class IssueCollector {
  readonly issues: ConfigIssue[] = []
  readonly warnings: ConfigIssue[] = []

  /** Records `<path>: expected <expected>; got <description of value>` (secrets are shown by kind only). */
  expected(path: string, expected: string, value: unknown): void {
    this.expectedText(path, expected, describeAt(path, value))
  }

  /** Records `<path>: expected <expected>; got <got>` with a ready-made `got` text. */
  expectedText(path: string, expected: string, got: string): void {
    const message = `${pathLabel(path)}: expected ${expected}; got ${got}`
    if (!this.issues.some((issue) => issue.message === message)) this.issues.push({ path, message })
  }

  /** Records a warning `<path>: <text>`. */
  warn(path: string, text: string): void {
    this.warnings.push({ path, message: `${pathLabel(path)}: ${text}` })
  }

  get ok(): boolean {
    return this.issues.length === 0
  }
}
