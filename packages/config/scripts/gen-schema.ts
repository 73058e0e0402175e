/** Writes schema.json (rest.json) and gateway.schema.json from the zod schemas: `pnpm run gen:schema`. */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { gatewayJsonSchema, jsonSchemaText, restJsonSchema } from '../src/json-schema.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
await writeFile(`${root}schema.json`, jsonSchemaText(restJsonSchema()))
await writeFile(`${root}gateway.schema.json`, jsonSchemaText(gatewayJsonSchema()))
console.log('wrote schema.json and gateway.schema.json')
