/** Value → text/JSON conversions shared by every render context. None of them throws. */

/**
 * JSON.stringify that survives cycles (`"[Circular]"`), BigInt (as a decimal string) and throwing
 * `toJSON`/getters (`"[Unserializable]"`). Returns undefined where JSON.stringify would
 * (undefined, functions, symbols at the top level).
 */
export function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    // cycles or BigInt: redo with a replacer (slower, only for such data)
  }
  try {
    const ancestors: object[] = []
    return JSON.stringify(value, function replacer(this: unknown, _key: string, v: unknown): unknown {
      if (typeof v === 'bigint') return v.toString()
      if (typeof v !== 'object' || v === null) return v
      while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop()
      if (ancestors.includes(v)) return '[Circular]'
      ancestors.push(v)
      return v
    })
  } catch {
    return '"[Unserializable]"'
  }
}

/**
 * The 'text' rendering of a found value: strings as-is, numbers/booleans/BigInt via String,
 * null → 'null', objects and arrays as JSON (a value whose JSON is a string, e.g. a Date, without
 * the quotes), functions and symbols → ''.
 */
export function textOf(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value)
    case 'undefined':
    case 'function':
    case 'symbol':
      return ''
    default: {
      if (value === null) return 'null'
      const json = safeJson(value)
      if (json === undefined) return ''
      if (json.charCodeAt(0) === 34 /* " */) {
        try {
          return JSON.parse(json) as string
        } catch {
          return json
        }
      }
      return json
    }
  }
}

/**
 * The 'json' rendering outside a string literal: a JSON value; `null` for undefined and non-JSON
 * values (functions, symbols); a BigInt as a JSON string (as it is inside objects).
 */
export function jsonOf(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return JSON.stringify(value.toString())
  return safeJson(value) ?? 'null'
}

/** Escapes text as the content of a JSON string literal (without the surrounding quotes). */
export function jsonStringContent(text: string): string {
  const quoted = JSON.stringify(text)
  return quoted.slice(1, -1)
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** encodeURIComponent that never throws: lone surrogates become U+FFFD first. */
export function encodeUrlComponent(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return encodeURIComponent(text.replace(LONE_SURROGATE, '\uFFFD'))
  }
}
