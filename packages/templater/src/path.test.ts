import { describe, expect, it } from 'vitest'
import { parsePath } from './path.ts'
import { TemplateError } from './errors.ts'

describe('parsePath', () => {
  it('parses dotted keys', () => {
    expect(parsePath('a.b.c')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'key', key: 'b' },
      { kind: 'key', key: 'c' },
    ])
  })

  it('parses indexes, negative indexes and wildcards', () => {
    expect(parsePath('a[0].v')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'index', index: 0 },
      { kind: 'key', key: 'v' },
    ])
    expect(parsePath('a[1]')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'index', index: 1 },
    ])
    expect(parsePath('a[-1]')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'index', index: -1 },
    ])
    expect(parsePath('a[*].v')).toEqual([{ kind: 'key', key: 'a' }, { kind: 'wildcard' }, { kind: 'key', key: 'v' }])
    expect(parsePath('a.*.v')).toEqual([{ kind: 'key', key: 'a' }, { kind: 'wildcard' }, { kind: 'key', key: 'v' }])
    expect(parsePath('[0][1]')).toEqual([
      { kind: 'index', index: 0 },
      { kind: 'index', index: 1 },
    ])
  })

  it('parses quoted bracket keys with either quote and backslash escapes', () => {
    expect(parsePath('["key with.dot"]')).toEqual([{ kind: 'key', key: 'key with.dot' }])
    expect(parsePath("['x']")).toEqual([{ kind: 'key', key: 'x' }])
    expect(parsePath('a["b[0]"].c')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'key', key: 'b[0]' },
      { kind: 'key', key: 'c' },
    ])
    expect(parsePath('["say \\"hi\\""]')).toEqual([{ kind: 'key', key: 'say "hi"' }])
    expect(parsePath("['it\\'s']")).toEqual([{ kind: 'key', key: "it's" }])
    expect(parsePath('["back\\\\slash"]')).toEqual([{ kind: 'key', key: 'back\\slash' }])
    expect(parsePath('[""]')).toEqual([{ kind: 'key', key: '' }])
    expect(parsePath('["*"]')).toEqual([{ kind: 'key', key: '*' }])
  })

  it('allows spaces, colons, dashes and other characters in identifiers, trimming around them', () => {
    expect(parsePath('  my key  ')).toEqual([{ kind: 'key', key: 'my key' }])
    expect(parsePath('a . b')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'key', key: 'b' },
    ])
    expect(parsePath('sensor-name:1')).toEqual([{ kind: 'key', key: 'sensor-name:1' }])
    expect(parsePath("it's")).toEqual([{ kind: 'key', key: "it's" }])
    expect(parsePath('a[ 2 ]')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'index', index: 2 },
    ])
    expect(parsePath('a[ "k" ]')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'key', key: 'k' },
    ])
  })

  const errors: Array<[string, number, RegExp]> = [
    ['', 0, /empty/],
    ['   ', 3, /empty/],
    ['a..b', 2, /missing before "\."/],
    ['.a', 0, /missing before "\."/],
    ['a.', 1, /missing after "\."/],
    ['a[', 1, /not closed/],
    ['a[0', 1, /not closed/],
    ['a[x]', 2, /expected an integer/],
    ['a[1.5]', 2, /expected an integer/],
    ['a[]', 2, /expected an integer, "\*" or a quoted key inside "\[\.\.\.\]", found nothing/],
    ['a]', 1, /without a matching/],
    ['a["x]', 2, /quoted key is not closed/],
    ['a[0]b', 4, /expected "\.", "\[" or the end/],
    ['a. .b', 2, /empty/],
  ]
  for (const [expr, position, reason] of errors) {
    it(`rejects ${JSON.stringify(expr)} at position ${position}`, () => {
      try {
        parsePath(expr)
        expect.unreachable()
      } catch (e) {
        expect(TemplateError.is(e)).toBe(true)
        expect((e as TemplateError).code).toBe('TEMPLATE_SYNTAX')
        expect((e as TemplateError).position).toBe(position)
        expect((e as TemplateError).message).toMatch(reason)
      }
    })
  }
})
