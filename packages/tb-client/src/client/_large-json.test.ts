import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseLargeJson, SCAN_CHARS, SLICE_CHARS, SLICE_MEMBERS } from './_large-json.ts'

/** `JSON.parse(text)`'s outcome, or the error's class. */
function whole(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) }
  } catch (error) {
    return { error: (error as Error).constructor.name }
  }
}

async function sliced(text: string): Promise<{ value: unknown } | { error: string }> {
  try {
    return { value: await parseLargeJson(text) }
  } catch (error) {
    return { error: (error as Error).constructor.name }
  }
}

/** An attribute update `{"device","data"}` with `n` members in data, from generated keys and values. */
function update(n: number, key: (i: number) => string, value: (i: number) => string, tail = ''): string {
  const members: string[] = []
  for (let i = 0; i < n; i++) members.push(`${JSON.stringify(key(i))}:${value(i)}`)
  return `{"device":"D-1","data":{${members.join(',')}}${tail}}`
}

const N = SLICE_MEMBERS * 3 + 7

afterEach(() => {
  vi.restoreAllMocks()
})

describe('parseLargeJson', () => {
  it('gives what JSON.parse gives, for tricky keys and values (escapes, braces and commas in strings, nesting, __proto__, integer keys, duplicates)', async () => {
    const values = [
      '1',
      '-0.5e3',
      'true',
      'null',
      '"a,b}{]["',
      '"q\\"uote\\\\"',
      '{"x":[1,{"y":"}"}]}',
      '[[],{}]',
      '"\\u007b"',
      '123456789012345678901234567890',
    ]
    const keys = (i: number): string => (i === 5 ? '__proto__' : i % 97 === 0 ? String(i) : i % 101 === 0 ? 'dup' : `k${i},"}`)
    const text = update(N, keys, (i) => values[i % values.length] as string, ',"extra":{"a":1}')
    const got = await parseLargeJson(text)
    expect(got).toEqual(JSON.parse(text))
    const data = (got as { data: Record<string, unknown> }).data
    expect(Object.keys(data)).toEqual(Object.keys((JSON.parse(text) as { data: object }).data))
    // an own "__proto__" key, as JSON.parse makes it: the prototype is untouched
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(data, '__proto__')?.value).toBe(values[5 % values.length] === '1' ? 1 : JSON.parse(values[5] as string))
  })

  it('refuses exactly what JSON.parse refuses (fast-check: one character of a valid update changed)', async () => {
    const text = update(
      N,
      (i) => `k${i}`,
      (i) => (i % 3 === 0 ? `"v${i}"` : String(i)),
    )
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: text.length - 1 }), fc.constantFrom(',', '}', '{', ']', '"', ' ', ':', 'x', '\\'), async (at, c) => {
        const broken = text.slice(0, at) + c + text.slice(at + 1)
        expect(await sliced(broken)).toEqual(whole(broken))
      }),
      { numRuns: 60 },
    )
    for (const broken of [
      text.replace('}}', ',}}'), // trailing comma in data
      text.replace('"k5":5,', '"k5":5,,'), // empty member
      text.replace('"data":{', '"data":{,'), // leading comma
      text.replace('"data":', '"data" '), // missing colon
      text.slice(0, -1), // unbalanced
      `${text.slice(0, -2)}]}`, // data closed by a bracket (the one brace no later parse sees)
    ]) {
      expect(await sliced(broken), broken.slice(0, 40)).toEqual(whole(broken))
      expect(await sliced(broken)).toEqual({ error: 'SyntaxError' })
    }
  })

  it('a duplicate top-level key, a top-level array or nothing big: the whole-text answer', async () => {
    const dup = `${update(N, (i) => `k${i}`, String).slice(0, -1)},"data":{"only":1}}`
    expect(await parseLargeJson(dup)).toEqual({ device: 'D-1', data: { only: 1 } })
    const array = `[${update(N, (i) => `k${i}`, String)}]`
    expect(await parseLargeJson(array)).toEqual(JSON.parse(array))
    expect(await parseLargeJson('{"device":"x","data":{"a":1}}')).toEqual({ device: 'x', data: { a: 1 } })
  })

  it('parses one slice per turn of the event loop: no JSON.parse call sees more than a slice of a 1.5 MB update', async () => {
    const text = update(
      100_000,
      (i) => `k${i}`,
      (i) => String(i),
    )
    expect(text.length).toBeGreaterThan(1_400_000)
    const parse = vi.spyOn(JSON, 'parse')
    let turns = 0
    let on = true
    const tick = (): void => {
      turns++
      if (on) setImmediate(tick)
    }
    setImmediate(tick)
    const value = (await parseLargeJson(text)) as { data: Record<string, number> }
    on = false
    const lengths = parse.mock.calls.map(([t]) => String(t).length)
    parse.mockRestore()
    expect(Object.keys(value.data)).toHaveLength(100_000)
    expect(value.data['k99999']).toBe(99_999)
    expect(Math.max(...lengths)).toBeLessThanOrEqual(SLICE_CHARS + 64)
    // the scan (SCAN_CHARS per turn) and ~100 slices each took a turn of their own
    expect(turns).toBeGreaterThanOrEqual(Math.floor(text.length / SCAN_CHARS) + Math.floor(100_000 / SLICE_MEMBERS))
  })
})
