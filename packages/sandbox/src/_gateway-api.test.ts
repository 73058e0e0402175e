import { describe, expect, it } from 'vitest'
import { attributeAnswer } from './_gateway-api.ts'

const values = { model: 'T1000', fw: '1.0', off: false }

describe('attributeAnswer', () => {
  it("'requested': one key asked → value, several → values (missing keys left out)", () => {
    expect(attributeAnswer({ id: 1, device: 'D', keys: ['model'] }, values, 'requested')).toEqual({ id: 1, device: 'D', value: 'T1000' })
    expect(attributeAnswer({ id: 1, device: 'D', keys: ['off'] }, values, 'requested')).toEqual({ id: 1, device: 'D', value: false })
    expect(attributeAnswer({ id: 1, device: 'D', keys: ['nope'] }, values, 'requested')).toEqual({ id: 1, device: 'D' })
    expect(attributeAnswer({ id: 2, device: 'D', keys: ['model', 'nope'] }, values, 'requested')).toEqual({ id: 2, device: 'D', values: { model: 'T1000' } })
    expect(attributeAnswer({ id: 3, device: 'D', keys: [] }, values, 'requested')).toEqual({ id: 3, device: 'D', values })
  })

  it("'found': shaped by how many were found", () => {
    expect(attributeAnswer({ id: 1, device: 'D', keys: ['model', 'nope'] }, values, 'found')).toEqual({ id: 1, device: 'D', value: 'T1000' })
    expect(attributeAnswer({ id: 1, device: 'D', keys: ['model', 'fw'] }, values, 'found')).toEqual({
      id: 1,
      device: 'D',
      values: { model: 'T1000', fw: '1.0' },
    })
    expect(attributeAnswer({ id: 1, device: 'D', keys: ['x', 'y'] }, values, 'found')).toEqual({ id: 1, device: 'D' })
  })

  it('does not read inherited properties', () => {
    expect(attributeAnswer({ id: 1, device: 'D', keys: ['toString'] }, {}, 'requested')).toEqual({ id: 1, device: 'D' })
  })
})
