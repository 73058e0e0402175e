/** Normalises what every inbound endpoint has: its HTTP methods and its client security. */
import { section, pickSpelling, type NormaliseContext } from './_context.ts'
import { joinPath } from './_describe.ts'
import { arrayOf, stringOf, type RawObject } from './_raw.ts'
import type { HttpMethod, InboundSecurity } from './model.ts'
import { HTTP_METHODS } from './schema/_primitives.ts'
import { METHOD_KEYS } from './schema/rest-inbound.ts'
import { restKeys } from './schema/rest-schema.ts'

const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS)

function methodOf(value: unknown): HttpMethod | undefined {
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined
  return upper !== undefined && KNOWN_METHODS.has(upper) ? (upper as HttpMethod) : undefined
}

/** All HTTP methods given (any spelling of the key, a string or a list), upper-cased, without duplicates. */
export function readMethods(ctx: NormaliseContext, object: RawObject, path: string, fallback: HttpMethod[]): HttpMethod[] {
  const found = pickSpelling(ctx, object, path, METHOD_KEYS)
  if (found === undefined) return fallback
  const list = Array.isArray(found.value) ? found.value : [found.value]
  const methods: HttpMethod[] = []
  for (const item of list) {
    const method = methodOf(item)
    if (method !== undefined && !methods.includes(method)) methods.push(method)
  }
  return methods.length === 0 ? fallback : methods
}

/** One HTTP method (a string, or a list of exactly one). */
export function readMethod(ctx: NormaliseContext, object: RawObject, path: string, fallback: HttpMethod): HttpMethod {
  const found = pickSpelling(ctx, object, path, METHOD_KEYS)
  if (found === undefined) return fallback
  const value = Array.isArray(found.value) && found.value.length === 1 ? found.value[0] : found.value
  return methodOf(value) ?? fallback
}

function inferInboundType(raw: RawObject): string {
  if (raw.users !== undefined || raw.username !== undefined || raw.password !== undefined) return 'basic'
  if (raw.token !== undefined || raw.tokens !== undefined) return 'bearer'
  return 'anonymous'
}

function basicUsers(ctx: NormaliseContext, raw: RawObject, path: string): Array<{ username: string; password: string }> {
  const users: Array<{ username: string; password: string }> = []
  const username = stringOf(raw.username)
  const password = stringOf(raw.password)
  if (raw.username !== undefined || raw.password !== undefined) {
    if (raw.password === undefined) ctx.collector.expected(joinPath(path, 'password'), 'a password string (username is given)', undefined)
    if (raw.username === undefined) ctx.collector.expected(joinPath(path, 'username'), 'a non-empty username (password is given)', undefined)
    if (username !== undefined && username !== '' && password !== undefined) users.push({ username, password })
  }
  arrayOf(raw.users).forEach((item, index) => {
    const user = section(ctx, item, joinPath(joinPath(path, 'users'), index), restKeys.user)
    const name = stringOf(user?.username)
    const secret = stringOf(user?.password)
    if (name !== undefined && name !== '' && secret !== undefined) users.push({ username: name, password: secret })
  })
  if (raw.username === undefined && raw.password === undefined && raw.users === undefined) {
    ctx.collector.expectedText(path, '"username" and "password", or "users" (type is basic)', 'neither')
  }
  return users
}

function bearerTokens(ctx: NormaliseContext, raw: RawObject, path: string): string[] {
  const tokens: string[] = []
  const token = stringOf(raw.token)
  if (token !== undefined && token !== '') tokens.push(token)
  for (const item of arrayOf(raw.tokens)) if (typeof item === 'string' && item !== '' && !tokens.includes(item)) tokens.push(item)
  if (raw.token === undefined && raw.tokens === undefined) ctx.collector.expectedText(path, '"token" or "tokens" (type is bearer)', 'neither')
  return tokens
}

/** `security` of an inbound endpoint: anonymous (default), basic (one or several users) or bearer. */
export function readInboundSecurity(ctx: NormaliseContext, value: unknown, path: string): InboundSecurity {
  const raw = section(ctx, value, path, restKeys.inboundSecurity)
  if (raw === undefined) return { type: 'anonymous' }
  const type = stringOf(raw.type)?.toLowerCase() ?? inferInboundType(raw)
  if (type === 'basic') return { type: 'basic', users: basicUsers(ctx, raw, path) }
  if (type === 'bearer') return { type: 'bearer', tokens: bearerTokens(ctx, raw, path) }
  const credentials = ['username', 'password', 'users', 'token', 'tokens'].filter((key) => raw[key] !== undefined)
  for (const key of credentials) ctx.collector.warn(joinPath(path, key), 'ignored: security type is anonymous')
  return { type: 'anonymous' }
}

/** Normalised path of an endpoint for clash detection: every `{name}` / `:name` segment becomes `{}`. */
export function routeShape(endpoint: string): string {
  return endpoint
    .split('/')
    .map((segment) => (/^\{[^}]*\}$/.test(segment) || segment.startsWith(':') ? '{}' : segment))
    .join('/')
}
