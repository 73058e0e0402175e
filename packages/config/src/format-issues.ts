import { ConfigError } from './errors.ts'
import type { ConfigIssue, ValidationResult } from './model.ts'

export interface FormatIssuesOptions {
  /**
   * File name shown in the heading line.
   * @default none (the heading says "config")
   */
  file?: string
  /**
   * Include warnings.
   * @default true
   */
  warnings?: boolean
}

export const formatIssuesDefaults: Readonly<{ warnings: boolean }> = Object.freeze({ warnings: true })

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/**
 * The human-readable text the CLI prints for a validation result: a heading line
 * (`rest.json: 2 errors, 1 warning`) then one line per issue. Empty when there is nothing to say.
 */
export function formatIssues(result: { issues: readonly ConfigIssue[]; warnings: readonly ConfigIssue[] }, options: FormatIssuesOptions = {}): string {
  const withWarnings = options.warnings ?? formatIssuesDefaults.warnings
  const warnings = withWarnings ? result.warnings : []
  if (result.issues.length === 0 && warnings.length === 0) return ''
  const parts = [result.issues.length > 0 ? count(result.issues.length, 'error') : '', warnings.length > 0 ? count(warnings.length, 'warning') : '']
  const lines = [`${options.file ?? 'config'}: ${parts.filter((p) => p !== '').join(', ')}`]
  for (const issue of result.issues) lines.push(`  error:   ${issue.message}`)
  for (const warning of warnings) lines.push(`  warning: ${warning.message}`)
  return lines.join('\n')
}

/** The config of a valid result; throws `ConfigError` (code `CONFIG_INVALID`, with `issues`) otherwise. */
export function unwrapConfig<T>(result: ValidationResult<T>, options: { file?: string } = {}): T {
  if (result.ok) return result.config
  const text = formatIssues(result, { ...options, warnings: false })
  throw new ConfigError('CONFIG_INVALID', `Invalid configuration: ${text}`, {
    issues: result.issues,
    ...(options.file === undefined ? {} : { file: options.file }),
  })
}
