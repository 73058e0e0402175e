import { describe, expect, it } from 'vitest'
import { compileTemplate } from './template.ts'

describe('evaluate', () => {
  it('returns the raw value of a single placeholder, any type', () => {
    const data = { n: 23.5, b: true, o: { a: 1 }, l: [1, 2], z: null, s: '12.7' }
    expect(compileTemplate('${n}').evaluate(data)).toEqual({ value: 23.5, missing: [] })
    expect(compileTemplate('${b}').evaluate(data)).toEqual({ value: true, missing: [] })
    expect(compileTemplate('${o}').evaluate(data)).toEqual({ value: { a: 1 }, missing: [] })
    expect(compileTemplate('${l}').evaluate(data)).toEqual({ value: [1, 2], missing: [] })
    expect(compileTemplate('${z}').evaluate(data)).toEqual({ value: null, missing: [] })
    expect(compileTemplate('${ s }').evaluate(data)).toEqual({ value: '12.7', missing: [] })
  })

  it('reports a missing single placeholder with an undefined value', () => {
    expect(compileTemplate('${sensorName}').evaluate({})).toEqual({ value: undefined, missing: ['sensorName'] })
  })

  it('returns the text rendering for anything else', () => {
    expect(compileTemplate('${kind}_value').evaluate({ kind: 'pressure' })).toEqual({ value: 'pressure_value', missing: [] })
    expect(compileTemplate('${hum}:${temp}').evaluate({ temp: 1 })).toEqual({ value: ':1', missing: ['hum'] })
    expect(compileTemplate('const').evaluate({})).toEqual({ value: 'const', missing: [] })
  })
})

describe("render 'text'", () => {
  it('renders strings as-is, scalars via String, null as "null", objects as JSON', () => {
    const t = compileTemplate('${s}|${n}|${b}|${z}|${o}|${l}')
    expect(t.render({ s: 'a "b"', n: 1.5, b: false, z: null, o: { a: 1, b: [1, 2] }, l: [{ v: 1 }] })).toEqual({
      value: 'a "b"|1.5|false|null|{"a":1,"b":[1,2]}|[{"v":1}]',
      missing: [],
    })
  })

  it('is the default context', () => {
    expect(compileTemplate('${o}').render({ o: { a: 1 } })).toEqual({ value: '{"a":1}', missing: [] })
  })

  it('renders missing placeholders empty and lists each once, never leaking ${...}', () => {
    const r = compileTemplate('Device ${name}-${line}-${name}').render({ line: 2 })
    expect(r).toEqual({ value: 'Device -2-', missing: ['name'] })
    expect(r.value).not.toContain('${')
  })

  it('matches the original cases: indexes, first wildcard match, keys with spaces', () => {
    const data = { values: [7, { v: 8 }], items: [{ v: 1 }, { v: 2 }], 'my key': 'k' }
    expect(compileTemplate('${values[0]}/${values[1].v}/${items[*].v}/${my key}').render(data).value).toBe('7/8/1/k')
  })

  it('never throws on hostile data', () => {
    const cyclic: Record<string, unknown> = { big: 10n }
    cyclic['me'] = cyclic
    const t = compileTemplate('${c} ${c.big} ${f} ${s}')
    expect(t.render({ c: cyclic, f: () => 1, s: Symbol('x') })).toEqual({ value: '{"big":"10","me":"[Circular]"} 10  ', missing: [] })
  })
})

const trap = (): never => {
  throw new Error('trap')
}

describe('proxies that throw', () => {
  it('count as not found and render without throwing in every context', () => {
    const hostile = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap })
    const { proxy: revoked, revoke } = Proxy.revocable({}, {})
    revoke()
    const t = compileTemplate('{"a": "${x}", "b": ${x.y}, "c": ${v}}')
    for (const data of [hostile, revoked, { x: hostile, v: revoked }]) {
      for (const context of ['text', 'url', 'json'] as const) expect(typeof t.render(data, context).value).toBe('string')
      expect(() => t.evaluate(data)).not.toThrow()
    }
    expect(t.render(hostile, 'json')).toEqual({ value: '{"a": "", "b": null, "c": null}', missing: ['x', 'x.y', 'v'] })
  })
})

describe("render 'url'", () => {
  it('percent-encodes each substituted value, leaving literal text alone', () => {
    const t = compileTemplate('http://127.0.0.1:5001/dev/${deviceName}/${attributeKey}?v=${attributeValue}')
    expect(t.render({ deviceName: 'PLAIN 1', attributeKey: 'mode', attributeValue: 'eco mode/1' }, 'url')).toEqual({
      value: 'http://127.0.0.1:5001/dev/PLAIN%201/mode?v=eco%20mode%2F1',
      missing: [],
    })
  })

  it('keeps the URL structure whatever the values hold', () => {
    const t = compileTemplate('http://h/set/${zone}?restId=${id}&x=1#top')
    const out = t.render({ zone: 'a/b?c#d', id: '1&x=2=3' }, 'url').value
    const url = new URL(out)
    expect(url.pathname).toBe('/set/a%2Fb%3Fc%23d')
    expect(url.searchParams.get('restId')).toBe('1&x=2=3')
    expect(url.searchParams.get('x')).toBe('1')
    expect(url.hash).toBe('#top')
  })

  it('supports several placeholders in one segment and in one query string', () => {
    const t = compileTemplate('http://h/q/${a}-${b}.json?a=${params.a}&b=${params.b}')
    expect(t.render({ a: 'x y', b: 'ü', params: { a: 1, b: 'two&three' } }, 'url').value).toBe('http://h/q/x%20y-%C3%BC.json?a=1&b=two%26three')
  })

  it('renders null as "null" text and missing values empty (listed)', () => {
    expect(compileTemplate('http://h/${a}?b=${b}').render({ a: null }, 'url')).toEqual({ value: 'http://h/null?b=', missing: ['b'] })
  })

  it('refuses values that would make a path segment "." or ".."', () => {
    const t = compileTemplate('http://h/dev/${name}/cmd?x=${q}')
    expect(t.render({ name: '..', q: '..' }, 'url')).toEqual({ value: 'http://h/dev//cmd?x=..', missing: ['name'] })
    expect(t.render({ name: '.', q: 'x' }, 'url')).toEqual({ value: 'http://h/dev//cmd?x=x', missing: ['name'] })
    expect(t.render({ name: '...', q: 'x' }, 'url').value).toBe('http://h/dev/.../cmd?x=x')
    const pair = compileTemplate('http://h/${a}${b}/x')
    expect(pair.render({ a: '.', b: '.' }, 'url')).toEqual({ value: 'http://h//x', missing: ['a', 'b'] })
    expect(pair.render({ a: '.', b: '' }, 'url')).toEqual({ value: 'http://h//x', missing: ['a'] })
    expect(compileTemplate('http://h/.${a}/x').render({ a: '.' }, 'url').missing).toEqual(['a'])
    expect(new URL(t.render({ name: '..', q: '' }, 'url').value).pathname).toBe('/dev//cmd')
  })
})

describe("render 'json'", () => {
  it('JSON-encodes values outside strings and escapes them inside strings', () => {
    const t = compileTemplate('{"target": ${p.value}, "zone": "${p.zone}"}')
    const out = t.render({ p: { value: 21.5, zone: 'kit"chen' } }, 'json')
    expect(out).toEqual({ value: '{"target": 21.5, "zone": "kit\\"chen"}', missing: [] })
    expect(JSON.parse(out.value)).toEqual({ target: 21.5, zone: 'kit"chen' })
  })

  it('renders a lone ${params} as the params JSON', () => {
    expect(compileTemplate('${params}').render({ params: { x: 1, flag: true } }, 'json').value).toBe('{"x":1,"flag":true}')
    expect(compileTemplate('${params}').render({ params: 'hello' }, 'json').value).toBe('"hello"')
    expect(compileTemplate('${params}').render({ params: 80 }, 'json').value).toBe('80')
  })

  it("renders the docs' attributeUpdates valueExpression as valid JSON", () => {
    const t = compileTemplate('{"deviceName":"${deviceName}","${attributeKey}":"${attributeValue}"}')
    const out = t.render({ deviceName: 'SN-001', attributeKey: 'fw"ver', attributeValue: { v: 1.2 } }, 'json')
    expect(JSON.parse(out.value)).toEqual({ deviceName: 'SN-001', 'fw"ver': '{"v":1.2}' })
    expect(JSON.parse(t.render({ deviceName: 'SN-001', attributeKey: 'enabled', attributeValue: true }, 'json').value)).toEqual({
      deviceName: 'SN-001',
      enabled: 'true',
    })
  })

  it('renders missing placeholders as null outside strings and empty inside, listing them', () => {
    const t = compileTemplate('{"a": ${a}, "b": "${b}", "c": [${c}]}')
    const out = t.render({}, 'json')
    expect(out.missing).toEqual(['a', 'b', 'c'])
    expect(JSON.parse(out.value)).toEqual({ a: null, b: '', c: [null] })
  })

  it('keeps null a value: JSON null outside strings, "null" text inside', () => {
    const out = compileTemplate('{"a": ${z}, "b": "${z}"}').render({ z: null }, 'json')
    expect(out).toEqual({ value: '{"a": null, "b": "null"}', missing: [] })
  })

  it('lets a placeholder stand for a whole key outside strings', () => {
    expect(JSON.parse(compileTemplate('{${k}: ${v}}').render({ k: 'x"y', v: [1] }, 'json').value)).toEqual({ 'x"y': [1] })
  })

  it('never throws on hostile data and stays valid JSON', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic['me'] = cyclic
    const out = compileTemplate('{"a": ${c}, "b": "${c}", "n": ${big}, "f": ${f}}').render({ c: cyclic, big: 7n, f: () => 1 }, 'json')
    expect(JSON.parse(out.value)).toEqual({ a: { me: '[Circular]' }, b: '{"me":"[Circular]"}', n: '7', f: null })
  })
})
