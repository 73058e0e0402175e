import { afterEach, describe, expect, it, vi } from 'vitest'
import { compileTemplate } from './template.ts'

// RegExp.prototype.test/match/replace/split all go through `exec` once it is replaced.
afterEach(() => {
  vi.restoreAllMocks()
})

describe('hot path', () => {
  it('the regex spy sees regex use (so the next test can fail)', () => {
    const exec = vi.spyOn(RegExp.prototype, 'exec')
    expect(/b/.test('abc')).toBe(true)
    expect('a-b'.replace(/-/g, '+')).toBe('a+b')
    const calls = exec.mock.calls.length
    exec.mockRestore()
    expect(calls).toBeGreaterThanOrEqual(2)
  })

  it('render and evaluate use no regular expressions once compiled', () => {
    const templates = [
      compileTemplate('Device ${serial}-${line}'),
      compileTemplate('${a.b[0].c}'),
      compileTemplate('${items[*].v} ${my key} ${["x.y"]}'),
      compileTemplate('http://h/dev/${name}/${key}?v=${value}'),
      compileTemplate('{"deviceName":"${deviceName}","${attributeKey}":"${attributeValue}","n":${n}}'),
    ]
    const data = {
      serial: 'S1',
      line: 2,
      a: { b: [{ c: 'deep' }] },
      items: [{ w: 1 }, { v: 2 }],
      'my key': 'k',
      'x.y': true,
      name: '..',
      key: 'a/b',
      value: 'ü x',
      deviceName: 'SN"1',
      attributeKey: 'fw',
      attributeValue: { v: [1, null] },
      n: 1.5,
    }
    const exec = vi.spyOn(RegExp.prototype, 'exec')
    const outputs: string[] = []
    for (const t of templates) {
      outputs.push(t.render(data, 'text').value, t.render(data, 'url').value, t.render(data, 'json').value)
      t.evaluate(data)
      t.evaluate({})
    }
    const calls = exec.mock.calls.length
    exec.mockRestore()
    expect(calls).toBe(0)
    expect(outputs).toHaveLength(15)
  })
})
