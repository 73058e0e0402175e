import { Validator, type Schema } from '@cfworker/json-schema'
import { describe, expect, it } from 'vitest'
import { gatewayJsonSchema, restJsonSchema } from '../src/json-schema.ts'
import { fixture } from './_helpers.ts'

function errorsOf(schema: Record<string, unknown>, value: unknown): string[] {
  const result = new Validator(schema as Schema, '2020-12', false).validate(value)
  return result.errors.map((error) => `${error.instanceLocation}: ${error.error}`)
}

describe('the generated JSON schemas accept what the validator accepts (no false editor errors)', () => {
  it.each(['docs-rest.json', 'original-rest.json'])('%s', (name) => {
    expect(errorsOf(restJsonSchema(), fixture(name))).toEqual([])
  })

  it('original-tb_gateway.json', () => {
    expect(errorsOf(gatewayJsonSchema(), fixture('original-tb_gateway.json'))).toEqual([])
  })

  it('flags what the validator rejects', () => {
    const broken = { port: 'abc', mapping: [{ endpoint: 'x', HTTPMethods: ['PSOT'], converter: {} }], serverSideRpc: [{ tries: 0 }] }
    const locations = new Set(errorsOf(restJsonSchema(), broken).map((line) => line.split(':')[0]))
    for (const location of ['#/port', '#/mapping/0/endpoint', '#/mapping/0/HTTPMethods/0', '#/serverSideRpc/0', '#/serverSideRpc/0/tries']) {
      expect(locations.has(location), location).toBe(true)
    }
  })
})
