import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileTemplate, parsePath, resolvePath, type PathSegment } from '../src/index.ts'
import { textOf } from '../src/_stringify.ts'

const RUNS = { numRuns: 300 }

/** Identifier characters: anything but `.`, `[`, `]` and braces. */
const identChar = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => !/[.[\]{}]/.test(c))
const identifier = fc.string({ unit: identChar, minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== '' && s.trim() !== '*' && s.trim() === s)
const quotedKey = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((s) => !/[{}]/.test(s))

const segment: fc.Arbitrary<PathSegment> = fc.oneof(
  { weight: 4, arbitrary: identifier.map((key): PathSegment => ({ kind: 'key', key })) },
  { weight: 2, arbitrary: quotedKey.map((key): PathSegment => ({ kind: 'key', key })) },
  { weight: 2, arbitrary: fc.integer({ min: -4, max: 12 }).map((index): PathSegment => ({ kind: 'index', index })) },
  { weight: 1, arbitrary: fc.constant<PathSegment>({ kind: 'wildcard' }) },
)
const segments = fc.array(segment, { minLength: 1, maxLength: 5 })

const isIdentifier = (key: string): boolean => key !== '' && key.trim() === key && key !== '*' && !/[.[\]{}]/.test(key)

/** Prints segments in the template grammar, picking a random but equivalent spelling. */
function print(path: readonly PathSegment[], style: number): string {
  let out = ''
  path.forEach((s, i) => {
    if (s.kind === 'index') out += `[${s.index}]`
    else if (s.kind === 'wildcard') out += style % 2 === 0 || i === 0 ? '[*]' : '.*'
    else if (isIdentifier(s.key) && style % 3 !== 0) out += i === 0 ? s.key : `.${s.key}`
    else {
      const q = style % 5 === 0 ? "'" : '"'
      out += `[${q}${s.key.replaceAll('\\', '\\\\').replaceAll(q, `\\${q}`)}${q}]`
    }
  })
  return out
}

/** Builds data in which `path` leads to `value`. */
function build(path: readonly PathSegment[], value: unknown): unknown {
  let data = value
  for (let i = path.length - 1; i >= 0; i--) {
    const s = path[i] as PathSegment
    if (s.kind === 'key') data = { [s.key]: data }
    else if (s.kind === 'wildcard') data = i === path.length - 1 ? [data] : [null, 7, data]
    else if (s.index >= 0) data = Array.from({ length: s.index + 1 }, (_, k) => (k === s.index ? data : null))
    else data = Array.from({ length: -s.index }, (_, k) => (k === 0 ? data : null))
  }
  return data
}

const literal = fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replaceAll('${', '$ {'))

const hostileData = fc.oneof(
  fc.jsonValue(),
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    stringUnit: 'binary',
  }),
  fc.dictionary(fc.string(), fc.jsonValue()).map((d) => {
    const cyclic: Record<string, unknown> = { ...d }
    cyclic['self'] = cyclic
    cyclic['list'] = [cyclic, d]
    return { cyclic, ...cyclic }
  }),
)

describe('properties', () => {
  it('parsePath reads back every spelling of a path', () => {
    fc.assert(
      fc.property(segments, fc.nat(), (path, style) => {
        const parsed = parsePath(print(path, style))
        expect(parsed).toEqual(path.map((s) => (s.kind === 'index' && Object.is(s.index, -0) ? { kind: 'index', index: 0 } : s)))
      }),
      RUNS,
    )
  })

  it('a value placed at a path is found there, by resolvePath and by a template', () => {
    fc.assert(
      fc.property(segments, fc.nat(), fc.jsonValue(), literal, (path, style, value, before) => {
        const expr = print(path, style)
        expect(resolvePath(build(path, value), expr)).toEqual({ found: true, value })
        const t = compileTemplate(`${before}\${ ${expr} }!`)
        expect(t.render(build(path, value))).toEqual({ value: `${before}${textOf(value)}!`, missing: [] })
      }),
      RUNS,
    )
  })

  it('(1) compile, render and evaluate never throw for arbitrary data and expressions', () => {
    const template = fc.array(fc.tuple(literal, segments, fc.nat()), { maxLength: 4 }).chain((pieces) => literal.map((tail) => ({ pieces, tail })))
    fc.assert(
      fc.property(template, hostileData, ({ pieces, tail }, data) => {
        const source = pieces.map(([lit, path, style]) => `${lit}\${${print(path, style)}}`).join('') + tail
        const t = compileTemplate(source)
        const evaluated = t.evaluate(data)
        for (const m of evaluated.missing) expect(t.placeholders).toContain(m)
        for (const context of ['text', 'url', 'json'] as const) {
          const out = t.render(data, context)
          expect(typeof out.value).toBe('string')
          for (const m of out.missing) expect(t.placeholders).toContain(m)
        }
      }),
      RUNS,
    )
  })

  it('(2) url: values never change the URL structure and decode back', () => {
    const t = compileTemplate('http://127.0.0.1/x/${v}?q=${w}')
    const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary-ascii' }))
    fc.assert(
      fc.property(
        text.filter((v) => v !== '.' && v !== '..'),
        text,
        (v, w) => {
          const out = t.render({ v, w }, 'url')
          expect(out.missing).toEqual([])
          const url = new URL(out.value)
          expect(url.host).toBe('127.0.0.1')
          expect(url.hash).toBe('')
          const parts = url.pathname.split('/')
          expect(parts).toHaveLength(3)
          expect(parts[1]).toBe('x')
          expect(decodeURIComponent(parts[2] as string)).toBe(v)
          expect([...url.searchParams.keys()]).toEqual(['q'])
          expect(url.searchParams.get('q')).toBe(w)
        },
      ),
      RUNS,
    )
  })

  it('(2b) url: several placeholders in one segment and query keep their boundaries', () => {
    const t = compileTemplate('http://127.0.0.1/x/${a}-${b}/y?a=${a}&b=${b}')
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const url = new URL(t.render({ a, b }, 'url').value)
        const parts = url.pathname.split('/')
        expect(parts).toHaveLength(4)
        expect(decodeURIComponent(parts[2] as string)).toBe(`${a}-${b}`)
        expect(parts[3]).toBe('y')
        expect(url.searchParams.get('a')).toBe(a)
        expect(url.searchParams.get('b')).toBe(b)
      }),
      RUNS,
    )
  })

  it('(3) json: any values give valid JSON with strings as text and values as themselves', () => {
    const t = compileTemplate('{"a":"${v}","b":${w},"c":[${w}]}')
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (v, w) => {
        const out = t.render({ v, w }, 'json')
        expect(out.missing).toEqual([])
        const parsed = JSON.parse(out.value) as { a: unknown; b: unknown; c: unknown[] }
        const normal = JSON.parse(JSON.stringify(w)) as unknown
        expect(parsed.a).toBe(textOf(v))
        expect(parsed.b).toEqual(normal)
        expect(parsed.c).toEqual([normal])
      }),
      RUNS,
    )
  })

  it('(3b) json: hostile data still gives valid JSON', () => {
    const t = compileTemplate('{"a":"${v}","b":${w},"c":[${w}, "${w.x}"]}')
    fc.assert(
      fc.property(hostileData, hostileData, (v, w) => {
        expect(() => JSON.parse(t.render({ v, w }, 'json').value) as unknown).not.toThrow()
      }),
      RUNS,
    )
  })
})
