/** Type guards for reading raw JSON defensively (zod reports wrong types; the normaliser just skips them). */

export type RawObject = Record<string, unknown>

export function isObject(value: unknown): value is RawObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

export function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

export function boolOf(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined
}

/** The elements of an array (empty when `value` is not one). */
export function arrayOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : []
}

/** A port given as a number or a numeric string, when valid. */
export function portOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\s*\d{1,5}\s*$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined
}

/** The first of `keys` present in `object` (not undefined), with the others that are present too. */
export function firstOf(object: RawObject, keys: readonly string[]): { key: string; value: unknown; others: string[] } | undefined {
  const present = keys.filter((key) => object[key] !== undefined)
  const key = present[0]
  if (key === undefined) return undefined
  return { key, value: object[key], others: present.slice(1) }
}
