import { expect, test } from 'vitest'
import { type ArrayCuts, checkJsonLimits, jsonLimitDefaults, JsonScan } from './_json-limits.ts'

const limits = { maxDepth: 3, maxElements: 3, maxKeys: 4 }

test('depth: the body is level 1; brackets in strings (escaped quotes too) do not count', () => {
  expect(checkJsonLimits('{"a":[{"b":1}]}', limits)).toBeUndefined()
  expect(checkJsonLimits('{"a":[{"b":[1]}]}', limits)).toMatchObject({ code: 'BODY_TOO_DEEP' })
  expect(checkJsonLimits('{"a":"[[[[[\\"[[[[{{{{"}', limits)).toBeUndefined()
  expect(checkJsonLimits('['.repeat(20_000) + ']'.repeat(20_000), jsonLimitDefaults)).toMatchObject({
    code: 'BODY_TOO_DEEP',
    message: expect.stringContaining('32'),
  })
})

test('elements: only those of a top-level array', () => {
  expect(checkJsonLimits('[1,2,3]', limits)).toBeUndefined()
  expect(checkJsonLimits('[]', limits)).toBeUndefined()
  expect(checkJsonLimits('[1,2,3,4]', limits)).toMatchObject({ code: 'TOO_MANY_ELEMENTS' })
  expect(checkJsonLimits('[[1,2,3,4,5,6]]', limits)).toBeUndefined()
  expect(checkJsonLimits('{"a":1,"b":2,"c":3,"d":4}', limits)).toBeUndefined()
  expect(checkJsonLimits('["a,b,c,d,e"]', limits)).toBeUndefined()
})

test('keys: at every depth; colons in strings do not count', () => {
  expect(checkJsonLimits('{"a":{"b":{"c":1}},"d":"x:y:z"}', limits)).toBeUndefined()
  expect(checkJsonLimits('[{"a":1},{"b":1},{"c":{"d":1,"e":2}}]', limits)).toMatchObject({ code: 'TOO_MANY_KEYS' })
})

test('30 000 small objects: within a raised element limit, refused by the default one', () => {
  const text = JSON.stringify(Array.from({ length: 30_000 }, (_, i) => ({ n: 'D', i })))
  expect(checkJsonLimits(text, { ...jsonLimitDefaults, maxElements: 30_000 })).toBeUndefined()
  expect(checkJsonLimits(text, jsonLimitDefaults)).toMatchObject({ code: 'TOO_MANY_ELEMENTS', message: expect.stringContaining('10000') })
})

test('the cheap pre-check never lets a breach through: exact answers around every bound', () => {
  const small = { maxDepth: 2, maxElements: 2, maxKeys: 2 }
  const cases: Array<[string, string | undefined]> = [
    ['[[]]', undefined],
    ['[[[]]]', 'BODY_TOO_DEEP'],
    ['["[[[["]', undefined],
    ['[1,2]', undefined],
    ['[1,2,3]', 'TOO_MANY_ELEMENTS'],
    ['{"a":1,"b":2}', undefined],
    ['{"a":1,"b":2,"c":3}', 'TOO_MANY_KEYS'],
    ['{"":0,"":0,"":0}', 'TOO_MANY_KEYS'],
    ['{"a":"{{{{:::,,,"}', undefined],
  ]
  for (const [text, code] of cases) expect([text, checkJsonLimits(text, small)?.code]).toEqual([text, code])
})

const cutsOf = (): ArrayCuts => ({ open: -1, close: -1, cuts: [], single: true, sliceElements: 3, sliceChars: 40 })

test('a scan run in windows (ending anywhere, inside strings and escapes too) finds what one run finds, and the same slice cuts', () => {
  const text = JSON.stringify([
    { a: 'x\\"],[{', b: [1, 2, { c: '\\\\' }] },
    'q"uo,te',
    [],
    {},
    7,
    { d: '::' },
    ...Array.from({ length: 40 }, (_, i) => ({ i, s: ',"\\' })),
  ])
  const big = { maxDepth: 8, maxElements: 1000, maxKeys: 1000 }
  const whole = cutsOf()
  expect(new JsonScan(text, big, whole).run(text.length)).toBeUndefined()
  expect(whole.cuts.length).toBeGreaterThan(10)
  for (const window of [1, 2, 3, 7, 64]) {
    const cuts = cutsOf()
    const scan = new JsonScan(text, big, cuts)
    for (let end = window; !scan.done; end += window) expect(scan.run(end)).toBeUndefined()
    expect(cuts).toEqual(whole)
  }
  for (const window of [1, 5]) {
    const tight = { maxDepth: 8, maxElements: 1000, maxKeys: 5 }
    const scan = new JsonScan(text, tight)
    let breach
    for (let end = window; !scan.done && breach === undefined; end += window) breach = scan.run(end)
    expect(breach).toEqual(checkJsonLimits(text, tight))
    expect(breach).toMatchObject({ code: 'TOO_MANY_KEYS' })
  }
})
