import { describe, expect, it } from 'vitest'
import { RestgateError, isOutboxFull } from './error.ts'

class PkgError extends RestgateError<'PKG_A' | 'PKG_B'> {}
class SubError extends PkgError {}
class OtherError extends RestgateError {}

describe('RestgateError', () => {
  it('carries code, message, cause, and the class name', () => {
    const cause = new Error('disk')
    const e = new PkgError('PKG_A', 'it failed', { cause })
    expect(e).toMatchObject({ code: 'PKG_A', message: 'it failed', name: 'PkgError', cause })
    expect(new SubError('PKG_B', 'x').name).toBe('SubError')
    expect('cause' in new PkgError('PKG_A', 'no cause')).toBe(false)
  })

  it('is(): by class, by subclass, by code, never across unrelated classes', () => {
    const sub = new SubError('PKG_B', 'x')
    expect(PkgError.is(sub)).toBe(true)
    expect(SubError.is(sub)).toBe(true)
    expect(RestgateError.is(sub)).toBe(true)
    expect(PkgError.is(sub, 'PKG_B')).toBe(true)
    expect(PkgError.is(sub, 'PKG_A')).toBe(false)
    expect(OtherError.is(sub)).toBe(false)
    expect(SubError.is(new PkgError('PKG_A', 'x'))).toBe(false)
    expect(PkgError.is(new Error('plain'))).toBe(false)
    expect(PkgError.is(null)).toBe(false)
    expect(PkgError.is('PKG_A')).toBe(false)
  })

  it('is(): a copy of the class from another package version, and a look-alike object, by name', () => {
    // Another copy of the same package: same names, different class objects.
    class PkgErrorCopy extends RestgateError {}
    Object.defineProperty(PkgErrorCopy, 'name', { value: 'PkgError' })
    class SubErrorCopy extends PkgErrorCopy {}
    expect(PkgError.is(new SubErrorCopy('PKG_A', 'x'))).toBe(true)
    expect(PkgError.is({ name: 'PkgError', code: 'PKG_A', message: 'thrown by a custom converter' })).toBe(true)
    expect(PkgError.is({ name: 'PkgError', message: 'no code' })).toBe(false)
  })

  it('isOutboxFull: the sink contract, by code', () => {
    expect(isOutboxFull(Object.assign(new Error('full'), { code: 'OUTBOX_FULL', retryAfterSeconds: 3 }))).toBe(true)
    expect(isOutboxFull(new PkgError('PKG_A', 'x'))).toBe(false)
    expect(isOutboxFull(undefined)).toBe(false)
  })
})
