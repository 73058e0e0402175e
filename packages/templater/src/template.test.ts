import { describe, expect, it } from 'vitest'
import { compileTemplate } from './template.ts'
import { TemplateError } from './errors.ts'

describe('compileTemplate: structure', () => {
  it('splits literals and placeholders, keeping text around them', () => {
    const t = compileTemplate('Device ${serial}-${line}')
    expect(t.placeholders).toEqual(['serial', 'line'])
    expect(t.isConstant).toBe(false)
    expect(t.isSingle).toBe(false)
    expect(t.render({ serial: 'S1', line: 2 })).toEqual({ value: 'Device S1-2', missing: [] })
  })

  it('flags constant and single templates', () => {
    expect(compileTemplate('Device 2').isConstant).toBe(true)
    expect(compileTemplate('Device 2').placeholders).toEqual([])
    expect(compileTemplate('${x}').isSingle).toBe(true)
    expect(compileTemplate('${ x }').isSingle).toBe(true)
    expect(compileTemplate(' ${x}').isSingle).toBe(false)
    expect(compileTemplate('${x}${y}').isSingle).toBe(false)
    expect(compileTemplate('').isConstant).toBe(true)
  })

  it('lists placeholders trimmed, once each, in order of first appearance', () => {
    expect(compileTemplate('${ b }/${a}/${b}').placeholders).toEqual(['b', 'a'])
  })

  it('is immutable: a consumer cannot corrupt a shared compiled template', () => {
    const t = compileTemplate('${a}')
    expect(Object.isFrozen(t)).toBe(true)
    expect(Object.isFrozen(t.placeholders)).toBe(true)
    expect(() => t.placeholders.push('b')).toThrow(TypeError)
    expect(t.render({ a: 1 }).value).toBe('1')
  })

  it('accepts whitespace (also newlines) between "[" and a quoted key', () => {
    const t = compileTemplate('${a[\n "x.y"\n]}')
    expect(t.placeholders).toEqual(['a[\n "x.y"\n]'])
    expect(t.evaluate({ a: { 'x.y': 1 } })).toEqual({ value: 1, missing: [] })
    expect(() => compileTemplate('${a[\n "x}y"]}')).toThrowError(/"}" is not allowed inside an expression at position 8/)
  })

  it('keeps a $ that is not followed by { as literal text', () => {
    const t = compileTemplate('$$ costs $5 and ${price}$ $')
    expect(t.placeholders).toEqual(['price'])
    expect(t.render({ price: 3 }).value).toBe('$$ costs $5 and 3$ $')
    expect(compileTemplate('$').isConstant).toBe(true)
    expect(compileTemplate('a}b{c').render({}).value).toBe('a}b{c')
  })

  it('a constant renders to its source in every context', () => {
    const t = compileTemplate('{"a": "x y/?"}')
    for (const ctx of ['text', 'url', 'json'] as const) expect(t.render({}, ctx)).toEqual({ value: '{"a": "x y/?"}', missing: [] })
    expect(t.evaluate({})).toEqual({ value: '{"a": "x y/?"}', missing: [] })
  })
})

describe('compileTemplate: syntax errors', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['abc ${temp', 4, /not closed/],
    ['${', 0, /not closed/],
    ['x${}', 1, /empty/],
    ['x${   }y', 1, /empty/],
    ['${a{b}', 3, /"\{" is not allowed/],
    ['${a${b}}', 4, /"\{" is not allowed/],
    ['ok ${a} then ${b["x}"]}', 19, /"\}" is not allowed/],
    ['${a["unterminated}', 4, /quoted key is not closed/],
  ]
  for (const [source, position, reason] of cases) {
    it(`rejects ${JSON.stringify(source)} at position ${position}`, () => {
      let caught: unknown
      try {
        compileTemplate(source)
      } catch (e) {
        caught = e
      }
      expect(TemplateError.is(caught)).toBe(true)
      const err = caught as TemplateError
      expect(err.code).toBe('TEMPLATE_SYNTAX')
      expect(err.position).toBe(position)
      expect(err.message).toMatch(reason)
      expect(err.message).toContain(`position ${position}`)
    })
  }

  it('names the config path in the message', () => {
    const path = 'mapping[0].converter.timeseries[1].value'
    try {
      compileTemplate('${temp', { path })
      expect.unreachable()
    } catch (e) {
      expect(TemplateError.is(e)).toBe(true)
      expect((e as TemplateError).path).toBe(path)
      expect((e as TemplateError).message).toContain(path)
      expect((e as TemplateError).message).toBe(`Invalid template at ${path}: ${(e as TemplateError).reason}`)
      expect((e as TemplateError).reason).toBe('"${" is not closed by "}" at position 0 (near "${temp")')
    }
  })

  it('is recognised by TemplateError.is across copies, by name and code', () => {
    expect(TemplateError.is({ name: 'TemplateError', code: 'TEMPLATE_SYNTAX', message: 'x' })).toBe(true)
    expect(TemplateError.is({ name: 'Error', code: 'TEMPLATE_SYNTAX' })).toBe(false)
    expect(TemplateError.is({ name: 'TemplateError', code: 'OTHER' }, 'TEMPLATE_SYNTAX')).toBe(false)
    expect(TemplateError.is({ name: 'TemplateError' })).toBe(false) // no code
    expect(TemplateError.is(new Error('x'))).toBe(false)
    expect(TemplateError.is(null)).toBe(false)
    const cause = new Error('root')
    const err = new TemplateError('TEMPLATE_SYNTAX', 'm', { cause, position: 3 })
    expect(err.cause).toBe(cause)
    expect(err.name).toBe('TemplateError')
    expect(err).toBeInstanceOf(Error)
  })

  it('rejects a source that is not a string', () => {
    expect(() => compileTemplate(42 as unknown as string, { path: 'p.q' })).toThrowError(/p\.q: expected a string, got number/)
  })
})
