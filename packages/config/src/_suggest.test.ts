import { describe, expect, it } from 'vitest'
import { closestKey, editDistance } from './_suggest.ts'

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps as 1', () => {
    expect(editDistance('converter', 'converter')).toBe(0)
    expect(editDistance('convertr', 'converter')).toBe(1)
    expect(editDistance('hots', 'host')).toBe(1)
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
  })
})

describe('closestKey', () => {
  const known = ['endpoint', 'HTTPMethods', 'security', 'converter', 'response']

  it('suggests a close key, case-insensitively', () => {
    expect(closestKey('convertr', known)).toBe('converter')
    expect(closestKey('httpmethods', known)).toBe('HTTPMethods')
    expect(closestKey('Security', known)).toBe('security')
  })

  it('suggests nothing when no key is close', () => {
    expect(closestKey('colour', known)).toBeUndefined()
    expect(closestKey('x', known)).toBeUndefined()
  })
})
