import { describe, expect, it } from 'vitest'
import { compileFilter, translatePythonRegex } from './_regex.ts'

function compiled(source: string): RegExp {
  const result = compileFilter(source)
  if (!result.ok) throw new Error(result.reason)
  return result.regex
}

describe('translatePythonRegex', () => {
  it('turns named groups and back-references into JavaScript syntax', () => {
    expect(translatePythonRegex('(?P<zone>[a-z]+)-(?P=zone)')).toEqual({ source: '(?<zone>[a-z]+)-\\k<zone>', flags: '' })
  })

  it('turns \\A and \\Z into anchors and leading inline flags into RegExp flags', () => {
    expect(translatePythonRegex('(?i)\\Asn-\\d+\\Z')).toEqual({ source: '^sn-\\d+$', flags: 'i' })
    expect(translatePythonRegex('(?is)a.b')).toEqual({ source: 'a.b', flags: 'is' })
  })

  it('leaves escaped characters alone', () => {
    expect(translatePythonRegex('a\\(?P<x>b\\)')).toEqual({ source: 'a\\(?P<x>b\\)', flags: '' })
    expect(translatePythonRegex('\\\\(?P<x>b)')).toEqual({ source: '\\\\(?<x>b)', flags: '' })
  })
})

describe('compileFilter', () => {
  it('matches the whole name only (re.fullmatch)', () => {
    const regex = compiled('SN.*')
    expect(regex.test('SN-001')).toBe(true)
    expect(regex.test('XSN-001')).toBe(false)
    expect(compiled('echo|ping').test('echo')).toBe(true)
    expect(compiled('echo|ping').test('echoping')).toBe(false)
  })

  it('runs translated Python patterns', () => {
    const regex = compiled('(?P<kind>[A-Z]+)-(?P=kind)')
    expect(regex.test('AB-AB')).toBe(true)
    expect(regex.test('AB-CD')).toBe(false)
    expect(compiled('(?i)sn-\\d+').test('SN-12')).toBe(true)
  })

  it('reports an invalid pattern with the engine message', () => {
    expect(compileFilter('(abc')).toEqual({ ok: false, reason: 'Unterminated group' })
    expect(compileFilter('[a')).toEqual({ ok: false, reason: 'Unterminated character class' })
  })
})
