/** Path building and "got ..." descriptions shared by every validator of this package. */

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/

/** Appends a key or an array index to a config path: `mapping` + 0 → `mapping[0]`, + `converter` → `mapping[0].converter`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`
  if (!PLAIN_KEY.test(key)) return `${base}[${JSON.stringify(key)}]`
  return base === '' ? key : `${base}.${key}`
}

/** Builds a path from segments (as zod reports them). */
export function pathFrom(base: string, segments: ReadonlyArray<PropertyKey>): string {
  let path = base
  for (const segment of segments) path = joinPath(path, typeof segment === 'symbol' ? String(segment) : segment)
  return path
}

/** How a path is shown at the start of a message; the document root has no path. */
export function pathLabel(path: string): string {
  return path === '' ? '(root)' : path
}

const MAX_SHOWN = 60

/** A short, readable description of a JSON value for the "got ..." part of a message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value
    return JSON.stringify(shown)
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array'
  if (typeof value === 'object') return 'an object'
  return typeof value
}

/** The kind of a value only (used for secrets, whose content must never be shown). */
export function describeKind(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string'
  if (typeof value === 'number') return 'a number'
  if (typeof value === 'boolean') return 'a boolean'
  return 'an object'
}

const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'token', 'tokens', 'accesstoken'])

/** True when the last key of `path` names a secret (password, token, ...). */
export function isSecretPath(path: string): boolean {
  const match = /(?:^|\.)([A-Za-z_$][\w$-]*)(?:\[\d+\])*$/.exec(path)
  return match !== null && SECRET_KEYS.has((match[1] as string).toLowerCase())
}

/** `describeValue`, or only the kind of the value when the path names a secret. */
export function describeAt(path: string, value: unknown): string {
  return isSecretPath(path) ? describeKind(value) : describeValue(value)
}
