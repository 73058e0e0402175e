import { describe, expect, test } from 'vitest'
import { compileAuth, describeAuthFailure } from './_auth.ts'

const b64 = (s: string): string => Buffer.from(s).toString('base64')

describe('basic authentication', () => {
  const auth = compileAuth({
    type: 'basic',
    users: [
      { username: 'user', password: 'password' },
      { username: 'second', password: 'p:with:colons' },
      { username: 'ünïcode', password: 'pässwörd' },
    ],
  })
  if (!auth) throw new Error('expected an authenticator')

  test('accepts every configured user', () => {
    expect(auth.check(`Basic ${b64('user:password')}`)).toBeUndefined()
    expect(auth.check(`Basic ${b64('second:p:with:colons')}`)).toBeUndefined()
    expect(auth.check(`Basic ${b64('ünïcode:pässwörd')}`)).toBeUndefined()
  })

  test('the scheme is case-insensitive', () => {
    expect(auth.check(`basic ${b64('user:password')}`)).toBeUndefined()
    expect(auth.check(`BASIC ${b64('user:password')}`)).toBeUndefined()
  })

  test('refuses a wrong password, a wrong user and mixed pairs', () => {
    expect(auth.check(`Basic ${b64('user:wrong')}`)).toBe('invalid')
    expect(auth.check(`Basic ${b64('nobody:password')}`)).toBe('invalid')
    // user of one entry with the password of another
    expect(auth.check(`Basic ${b64('user:p:with:colons')}`)).toBe('invalid')
    expect(auth.check(`Basic ${b64('user:passwor')}`)).toBe('invalid')
    expect(auth.check(`Basic ${b64('user:password ')}`)).toBe('invalid')
  })

  test('missing header, other scheme and malformed credentials', () => {
    expect(auth.check(null)).toBe('missing')
    expect(auth.check('')).toBe('missing')
    expect(auth.check('Bearer abc')).toBe('scheme')
    expect(auth.check('Basic')).toBe('scheme')
    expect(auth.check('Basicx dXNlcjpwYXNzd29yZA==')).toBe('scheme')
    expect(auth.check(`Basic ${b64('no-colon')}`)).toBe('malformed')
  })

  test('a user name with a colon matches only as the header decodes (split at the first colon), as without the one-hash path', () => {
    const colon = compileAuth({ type: 'basic', users: [{ username: 'a:b', password: 'c' }] })
    expect(colon?.check(`Basic ${b64('a:b:c')}`)).toBe('invalid')
  })

  test('the one-hash path and the decoding path accept the same credentials', () => {
    // canonical header (one hash) and spellings only the decoding path reads
    expect(auth.check(`Basic ${b64('user:password')}`)).toBeUndefined()
    expect(auth.check(`Basic  ${b64('user:password')}`)).toBeUndefined()
    expect(auth.check(`Basic ${b64('user:password')} `)).toBeUndefined()
    expect(auth.check(`Basic ${b64('user:password').replace(/=+$/, '')}`)).toBeUndefined()
  })

  test('the challenge names Basic', () => {
    expect(auth.challenge).toMatch(/^Basic realm="/)
    expect(describeAuthFailure('scheme', auth.challenge)).toContain('Basic')
  })
})

describe('bearer authentication', () => {
  const auth = compileAuth({ type: 'bearer', tokens: ['token-one', 'a-much-longer-second-token'] })
  if (!auth) throw new Error('expected an authenticator')

  test('accepts each token and refuses others', () => {
    expect(auth.check('Bearer token-one')).toBeUndefined()
    expect(auth.check('bearer a-much-longer-second-token')).toBeUndefined()
    expect(auth.check('Bearer token-on')).toBe('invalid')
    expect(auth.check('Bearer token-one-')).toBe('invalid')
    expect(auth.check(`Basic ${b64('token-one:')}`)).toBe('scheme')
    expect(auth.check('Bearer ')).toBe('malformed')
    expect(auth.check('Bearer')).toBe('scheme')
    expect(auth.check(null)).toBe('missing')
    expect(auth.challenge).toMatch(/^Bearer /)
  })
})

test('anonymous compiles to no check', () => {
  expect(compileAuth({ type: 'anonymous' })).toBeUndefined()
})

test('a basic endpoint without users refuses everyone', () => {
  const auth = compileAuth({ type: 'basic', users: [] })
  expect(auth?.check(`Basic ${b64('user:password')}`)).toBe('invalid')
})
