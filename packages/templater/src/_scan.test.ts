import { describe, expect, it } from 'vitest'
import { jsonStringStates, scanTemplate, urlDotGroups } from './_scan.ts'

describe('scanTemplate', () => {
  it('returns literals around placeholders with their positions', () => {
    expect(scanTemplate('a${x}b${ y }', '')).toEqual({
      literals: ['a', 'b', ''],
      placeholders: [
        { raw: 'x', position: 1 },
        { raw: ' y ', position: 6 },
      ],
    })
  })

  it('lets quoted bracket keys hold brackets, dots and escaped quotes', () => {
    expect(scanTemplate('${a["x.[y]\\"z"]}!', '').placeholders).toEqual([{ raw: 'a["x.[y]\\"z"]', position: 0 }])
  })

  it('treats a quote that does not follow "[" as an ordinary character', () => {
    expect(scanTemplate("${it's}", '').placeholders).toEqual([{ raw: "it's", position: 0 }])
  })
})

describe('jsonStringStates', () => {
  it('tracks string literals across placeholders', () => {
    const { literals } = scanTemplate('{"deviceName":"${deviceName}","${attributeKey}":"${attributeValue}", "n": ${n}}', '')
    expect(jsonStringStates(literals)).toEqual([true, true, true, false])
  })

  it('honours backslash escapes inside strings', () => {
    const { literals } = scanTemplate('{"a":"x\\"${in}", "b": ${out}, "c": "\\\\${in2}"}', '')
    expect(jsonStringStates(literals)).toEqual([true, false, true])
  })
})

describe('urlDotGroups', () => {
  it('finds path segments made only of placeholders and dots', () => {
    const { literals } = scanTemplate('http://h/${a}/x${b}/${c}.${d}/${e}?q=${f}#${g}', '')
    expect(urlDotGroups(literals)).toEqual([
      { members: [0], dots: 0 },
      { members: [2, 3], dots: 1 },
      { members: [4], dots: 0 },
    ])
  })

  it('covers a placeholder at the very start or end', () => {
    expect(urlDotGroups(scanTemplate('${a}', '').literals)).toEqual([{ members: [0], dots: 0 }])
    expect(urlDotGroups(scanTemplate('/x/${a}', '').literals)).toEqual([{ members: [0], dots: 0 }])
    expect(urlDotGroups(scanTemplate('/x/.${a}', '').literals)).toEqual([{ members: [0], dots: 1 }])
    expect(urlDotGroups(scanTemplate('/x/v${a}', '').literals)).toEqual([])
  })
})
