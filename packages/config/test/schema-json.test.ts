import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { gatewayJsonSchema, jsonSchemaText, restJsonSchema } from '../src/json-schema.ts'

const root = fileURLToPath(new URL('../', import.meta.url))

describe('generated JSON schemas', () => {
  it('schema.json is up to date (run `pnpm run gen:schema`)', async () => {
    expect(await readFile(`${root}schema.json`, 'utf8')).toBe(jsonSchemaText(restJsonSchema()))
  })

  it('gateway.schema.json is up to date (run `pnpm run gen:schema`)', async () => {
    expect(await readFile(`${root}gateway.schema.json`, 'utf8')).toBe(jsonSchemaText(gatewayJsonSchema()))
  })

  it('describes both rest.json formats and every accepted spelling', () => {
    const schema = restJsonSchema() as {
      properties: Record<string, unknown>
      $defs: Record<string, { properties: Record<string, unknown>; required?: string[] }>
    }
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['server', 'host', 'port', 'SSL', 'mapping', 'requestsMapping', 'attributeUpdates', 'serverSideRpc', '$schema']),
    )
    expect(Object.keys(schema.$defs.Mapping?.properties ?? {})).toEqual(expect.arrayContaining(['HTTPMethods', 'HTTPMethod', 'httpMethods', 'httpMethod']))
    expect(schema.$defs.Mapping?.required).toEqual(['endpoint', 'converter'])
    expect(Object.keys(schema.$defs.Converter?.properties ?? {})).toEqual(
      expect.arrayContaining(['deviceInfo', 'deviceNameExpression', 'deviceTypeExpression', 'extension-config']),
    )
    expect(schema.$defs.AttributeUpdate?.required).toEqual(['requestUrlExpression', 'valueExpression'])
    expect(schema.$defs.ServerSideRpc?.required).toEqual(['requestUrlExpression'])
  })

  it('the gateway schema requires thingsboard.host', () => {
    const schema = gatewayJsonSchema() as { required?: string[]; $defs: Record<string, { required?: string[] }> }
    expect(schema.required).toEqual(['thingsboard'])
    expect(schema.$defs.Thingsboard?.required).toEqual(['host'])
  })
})
