/** Decimal numbers as users write them: `12`, `-3.5`, `.5`, `1e3`, `+7.`; no hex, no `Infinity`. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/** The number a decimal numeric string (surrounding whitespace allowed) stands for, else undefined. */
export function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim()
  return DECIMAL.test(trimmed) ? Number(trimmed) : undefined
}
