import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import type { ConfigIssue, ValidationResult } from '../src/model.ts'

export const fixtures: string = fileURLToPath(new URL('./fixtures/', import.meta.url))

export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(`${fixtures}${name}`, 'utf8'))
}

/** The config of a result that must be valid (fails the test with the issues otherwise). */
export function valid<T>(result: ValidationResult<T>): T {
  expect(result.issues).toEqual([])
  if (!result.ok) throw new Error('expected a valid config')
  return result.config
}

export function messages(issues: readonly ConfigIssue[]): string[] {
  return issues.map((issue) => issue.message)
}
