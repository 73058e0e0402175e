/** Turns zod issues into `<path>: expected <what>; got <what found>` config issues. */
import type { z } from 'zod'
import type { IssueCollector } from './_collector.ts'
import { pathFrom } from './_describe.ts'

type ZodIssue = z.core.$ZodIssue

const ARTICLE: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean (true or false)',
  array: 'an array',
  object: 'an object',
  record: 'an object',
}

function bound(kind: 'min' | 'max', value: unknown, inclusive: boolean | undefined): string {
  const op = kind === 'min' ? (inclusive === false ? '>' : '≥') : inclusive === false ? '<' : '≤'
  return `${op} ${String(value)}`
}

/** The "expected ..." text zod did not word itself (our schemas word most of their own). */
function expectedOf(issue: ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return ARTICLE[issue.expected] ?? `a ${issue.expected}`
    case 'too_small':
      if (issue.origin === 'array') return `at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`
      if (issue.origin === 'string') return issue.minimum === 1 ? 'a non-empty string' : `at least ${String(issue.minimum)} characters`
      return `a number ${bound('min', issue.minimum, issue.inclusive)}`
    case 'too_big':
      if (issue.origin === 'array') return `at most ${String(issue.maximum)} item${issue.maximum === 1 ? '' : 's'}`
      if (issue.origin === 'string') return `at most ${String(issue.maximum)} characters`
      return `a number ${bound('max', issue.maximum, issue.inclusive)}`
    case 'invalid_value':
      return issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
    case 'invalid_format':
      return issue.pattern === undefined ? `a ${issue.format}` : `a string matching ${issue.pattern}`
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`
    default:
      return 'a valid value'
  }
}

function isOwnWording(message: string): boolean {
  return message.startsWith('expected ')
}

/**
 * Adds zod's issues to `collector`, paths prefixed by `base`. A failed union reports the one
 * alternative whose type matched (its deeper issues) when there is one, else the union's wording.
 */
export function addZodIssues(collector: IssueCollector, base: string, issues: readonly ZodIssue[]): void {
  for (const issue of issues) {
    const path = pathFrom(base, issue.path)
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const deeper = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0))
      if (deeper.length === 1) {
        addZodIssues(collector, path, deeper[0] as ZodIssue[])
        continue
      }
    }
    if ((issue.code === 'invalid_key' || issue.code === 'invalid_element') && issue.issues.length > 0) {
      addZodIssues(collector, path, issue.issues)
      continue
    }
    const expected = isOwnWording(issue.message) ? issue.message.slice('expected '.length) : expectedOf(issue)
    collector.expected(path, expected, issue.input)
  }
}
