/** Small zod building blocks shared by the rest.json and tb_gateway.json schemas. */
import { z } from 'zod'
import type { HttpMethod } from '../model.ts'

/** A loose object schema (unknown keys pass through; the validator warns about them itself). */
export type LooseSchema = z.ZodObject<z.ZodRawShape, z.core.$loose>

export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']

/** zod `error` option producing our own wording (`expected ...`; the "got" part is added later). */
export function expect(what: string): { error: () => string } {
  const message = `expected ${what}`
  return { error: () => message }
}

function caseInsensitive(word: string): string {
  let out = ''
  for (const ch of word) {
    const lower = ch.toLowerCase()
    const upper = ch.toUpperCase()
    out += lower === upper ? ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&') : `[${lower}${upper}]`
  }
  return out
}

/** One of `values`, compared case-insensitively (a JSON-Schema-safe pattern: no regex flags). */
export function ciEnum(values: readonly string[], description?: string): z.ZodString {
  const wording = expect(`one of ${values.join(', ')}`)
  const pattern = new RegExp(`^(?:${values.map(caseInsensitive).join('|')})$`)
  const schema = z
    .string(wording)
    .regex(pattern, wording)
    .meta({ examples: [...values] })
  return description === undefined ? schema : schema.describe(description)
}

/** A string that must not be empty. */
export function nonEmpty(what: string, description?: string): z.ZodString {
  const wording = expect(what)
  const schema = z.string(wording).min(1, wording)
  return description === undefined ? schema : schema.describe(description)
}

/** A boolean, worded. */
export function bool(description: string): z.ZodBoolean {
  return z.boolean(expect('true or false')).describe(description)
}

/** A number > 0 (seconds, usually). */
export function positive(description: string): z.ZodNumber {
  const wording = expect('a number > 0')
  return z.number(wording).positive(wording).describe(description)
}

/** An integer ≥ `min`. */
export function integer(min: number, description: string): z.ZodNumber {
  const wording = expect(`an integer ≥ ${min}`)
  return z.int(wording).min(min, wording).describe(description)
}

const PORT = expect('a port number 0-65535 (a number or a numeric string)')

/** A TCP port as a number or a numeric string (`"5000"`, as the docs write it). */
export function port(description: string): z.ZodType {
  return z
    .union(
      [
        z.int(PORT).min(0, PORT).max(65535, PORT),
        z
          .string(PORT)
          .regex(/^\s*\d{1,5}\s*$/, PORT)
          .refine((s) => !/^\s*\d{1,5}\s*$/.test(s) || Number(s) <= 65535, PORT),
      ],
      PORT,
    )
    .describe(description)
}

const METHOD_NAME: z.ZodString = ciEnum(HTTP_METHODS).meta({ id: 'HttpMethod' })

/** One HTTP method or a non-empty list of them, any case. */
export function methods(description: string): z.ZodType {
  return z
    .union(
      [METHOD_NAME, z.array(METHOD_NAME, expect('a list of HTTP methods')).min(1, expect('at least one HTTP method'))],
      expect('an HTTP method or a list of them'),
    )
    .describe(description)
}

/** One HTTP method (a list holding exactly one is accepted too), any case. */
export function singleMethod(description: string): z.ZodType {
  return z
    .union([METHOD_NAME, z.array(METHOD_NAME, expect('a single HTTP method')).length(1, expect('a single HTTP method'))], expect('a single HTTP method'))
    .describe(description)
}

/** HTTP headers: an object of name → value (string, number or boolean), or that object as a JSON string. */
export function headers(description: string): z.ZodType {
  const value = z.union([z.string(), z.number(), z.boolean()], expect('a header value (string, number or boolean)'))
  return z
    .union([z.record(z.string(), value, expect('an object of header names to values')), z.string()], expect('an object of header names to values'))
    .describe(description)
}

/** A key of the original that restgate reads but does not implement (a warning names it). */
export function notImplemented(description: string): z.ZodType {
  return z.unknown().describe(`Not implemented by restgate; ignored. ${description}`).meta({ deprecated: true })
}

/** Free-form options object. */
export function freeObject(description: string): z.ZodType {
  return z.record(z.string(), z.unknown(), expect('an object')).describe(description)
}
