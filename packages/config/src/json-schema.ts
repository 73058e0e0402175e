/** JSON Schemas (for editors, through `"$schema"`) generated from the same zod schemas the validator uses. */
import { z } from 'zod'
import { gatewayConfigSchema } from './schema/gateway-schema.ts'
import { restConfigSchema } from './schema/rest-schema.ts'

function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
}

/** JSON Schema of rest.json (both formats). */
export function restJsonSchema(): Record<string, unknown> {
  return toJsonSchema(restConfigSchema)
}

/** JSON Schema of tb_gateway.json. */
export function gatewayJsonSchema(): Record<string, unknown> {
  return toJsonSchema(gatewayConfigSchema)
}

/** The exact text of the committed schema files (2-space JSON, trailing newline). */
export function jsonSchemaText(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`
}
