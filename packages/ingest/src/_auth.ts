/**
 * Inbound endpoint security: basic (several users) and bearer tokens, compared in constant time.
 * Secrets are reduced to SHA-256 digests once at start; every check hashes what the client sent
 * and compares it with every configured entry (no early exit), so neither the length of a secret
 * nor the position of the matching user leaks through timing. Basic auth first compares the digest
 * of the whole header with those of each user's canonical header (`Basic base64(user:password)`,
 * one hash per request, what every client sends), and decodes the header only when that fails.
 */
import { hash, timingSafeEqual } from 'node:crypto'
import type { InboundSecurity } from '@restgate/config'

/** Why a request was refused (never contains the credentials themselves). */
export type AuthFailure = 'missing' | 'scheme' | 'malformed' | 'invalid'

export interface Authenticator {
  /** `WWW-Authenticate` value of a 401. */
  readonly challenge: string
  /** `undefined` when the `Authorization` header is accepted, else why not. */
  check(authorization: string | null): AuthFailure | undefined
}

const COLON = 0x3a

function sha256(data: string | Uint8Array): Buffer {
  return hash('sha256', data, 'buffer')
}

/** Returns the scheme's credentials part when `header` starts with `scheme` (case-insensitive). */
function credentialsOf(header: string, scheme: string): string | undefined {
  if (header.length <= scheme.length || header.charCodeAt(scheme.length) !== 0x20) return undefined
  if (header.slice(0, scheme.length).toLowerCase() !== scheme) return undefined
  return header.slice(scheme.length + 1).trim()
}

class BasicAuthenticator implements Authenticator {
  readonly challenge: string = 'Basic realm="restgate", charset="UTF-8"'
  readonly #users: ReadonlyArray<{ user: Buffer; pass: Buffer }>
  /** Digests of `Basic base64(user:password)` (users without a colon in the name: RFC 7617). */
  readonly #canonical: readonly Buffer[]

  constructor(users: ReadonlyArray<{ username: string; password: string }>) {
    this.#users = users.map((u) => ({ user: sha256(u.username), pass: sha256(u.password) }))
    this.#canonical = users
      .filter((u) => !u.username.includes(':'))
      .map((u) => sha256(`Basic ${Buffer.from(`${u.username}:${u.password}`, 'utf8').toString('base64')}`))
  }

  check(authorization: string | null): AuthFailure | undefined {
    if (!authorization) return 'missing'
    if (this.#canonical.length > 0) {
      const whole = sha256(authorization)
      let hit = 0
      for (const c of this.#canonical) hit |= timingSafeEqual(whole, c) ? 1 : 0
      if (hit === 1) return undefined
    }
    const token = credentialsOf(authorization, 'basic')
    if (token === undefined) return 'scheme'
    const decoded = Buffer.from(token, 'base64')
    const colon = decoded.indexOf(COLON)
    if (colon < 0) return 'malformed'
    const user = sha256(decoded.subarray(0, colon))
    const pass = sha256(decoded.subarray(colon + 1))
    let matched = 0
    for (const u of this.#users) {
      // Both comparisons always run, for every user.
      const userOk = timingSafeEqual(user, u.user) ? 1 : 0
      const passOk = timingSafeEqual(pass, u.pass) ? 1 : 0
      matched |= userOk & passOk
    }
    return matched === 1 ? undefined : 'invalid'
  }
}

class BearerAuthenticator implements Authenticator {
  readonly challenge: string = 'Bearer realm="restgate"'
  readonly #tokens: readonly Buffer[]

  constructor(tokens: readonly string[]) {
    this.#tokens = tokens.map((t) => sha256(t))
  }

  check(authorization: string | null): AuthFailure | undefined {
    if (!authorization) return 'missing'
    const token = credentialsOf(authorization, 'bearer')
    if (token === undefined) return 'scheme'
    if (token.length === 0) return 'malformed'
    const digest = sha256(token)
    let matched = 0
    for (const t of this.#tokens) matched |= timingSafeEqual(digest, t) ? 1 : 0
    return matched === 1 ? undefined : 'invalid'
  }
}

/** Compiles an endpoint's security once; `undefined` means anonymous (no check at all). */
export function compileAuth(security: InboundSecurity): Authenticator | undefined {
  switch (security.type) {
    case 'anonymous':
      return undefined
    case 'basic':
      return new BasicAuthenticator(security.users)
    case 'bearer':
      return new BearerAuthenticator(security.tokens)
  }
}

/** Human text of a failure for the 401 body (no secrets). */
export function describeAuthFailure(failure: AuthFailure, challenge: string): string {
  const scheme = challenge.slice(0, challenge.indexOf(' '))
  switch (failure) {
    case 'missing':
      return `this endpoint requires ${scheme} authentication; no Authorization header was sent`
    case 'scheme':
      return `this endpoint requires ${scheme} authentication; the Authorization header uses another scheme`
    case 'malformed':
      return `the ${scheme} credentials in the Authorization header are malformed`
    case 'invalid':
      return `the ${scheme} credentials were not accepted`
  }
}
