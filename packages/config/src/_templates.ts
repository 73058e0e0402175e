/** Checks `${...}` templates at load with @restgate/templater (compiled once here, never per request). */
import { compileTemplate, TemplateError } from '@restgate/templater'
import type { IssueCollector } from './_collector.ts'
import { describeValue } from './_describe.ts'

/** The reason of a template syntax error without the "Invalid template at <path>:" lead-in. */
function reasonOf(error: TemplateError): string {
  const reason = typeof error.reason === 'string' ? error.reason : error.message
  return reason.replace(/^Invalid template(?: at \S+)?: /, '').replace(/ \(near ".*"\)$/s, '')
}

/** Compiles `source`; a syntax error becomes an issue at `path`. Returns the placeholder list, or undefined on error. */
export function checkTemplate(collector: IssueCollector, path: string, source: string): string[] | undefined {
  try {
    return compileTemplate(source, { path }).placeholders
  } catch (error) {
    if (!TemplateError.is(error)) throw error
    collector.expectedText(path, 'a valid ${...} template', `${describeValue(source)} (${reasonOf(error)})`)
    return undefined
  }
}
