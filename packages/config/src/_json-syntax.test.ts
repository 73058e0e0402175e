import { describe, expect, it } from 'vitest'
import { findJsonSyntaxError } from './_json-syntax.ts'

describe('findJsonSyntaxError', () => {
  it('accepts valid JSON', () => {
    expect(findJsonSyntaxError('{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"]}')).toBeUndefined()
  })

  it.each([
    ['{\n  "a": 1,\n  "b": }', { line: 3, column: 8, reason: 'unexpected "}"' }],
    ['{\n  "a": 1,\n}', { line: 3, column: 1, reason: 'trailing comma before "}"' }],
    ['{"a" 1}', { line: 1, column: 6, reason: 'expected ":", found "1"' }],
    ['{a: 1}', { line: 1, column: 2, reason: 'expected a "quoted" key, found "a"' }],
    ['[1 2]', { line: 1, column: 4, reason: 'expected "," or "]", found "2"' }],
    ['{"a": "b', { line: 1, column: 7, reason: 'string not closed' }],
    ['{"a": 1', { line: 1, column: 8, reason: 'unexpected end of the file (missing "}")' }],
    ['  ', { line: 1, column: 3, reason: 'an empty file' }],
    ['{} x', { line: 1, column: 4, reason: 'unexpected "x" after the end of the JSON value' }],
    ["{'a': 1}", { line: 1, column: 2, reason: 'expected a "quoted" key, found "\'"' }],
  ])('%j', (text, expected) => {
    expect(findJsonSyntaxError(text)).toEqual(expected)
  })
})
