import { describe, expect, it } from 'vitest'
import { SandboxError } from './errors.ts'
import { defaultLogger, resolveBehaviour, resolveOptions, sandboxDefaults, sessionLimitsDefaults } from './options.ts'

const invalid = (fn: () => unknown, text: string): void => {
  expect(fn).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(text) }))
}

describe('resolveOptions', () => {
  it('fills the documented defaults', () => {
    const o = resolveOptions()
    expect(o).toMatchObject({ ...sandboxDefaults, accessTokens: undefined, sessionLimits: sessionLimitsDefaults, logger: defaultLogger, log: undefined })
    expect(o.host).toBe('127.0.0.1')
    expect(o.port).toBe(1883)
    expect(o.httpPort).toBe(false)
  })

  it('merges over undefined only', () => {
    const o = resolveOptions({ port: 0, httpPort: 0, answerAttributeRequests: false, attributeResponseDelayMs: 0, host: undefined })
    expect(o).toMatchObject({ port: 0, httpPort: 0, answerAttributeRequests: false, attributeResponseDelayMs: 0, host: '127.0.0.1' })
  })

  it('accepts one token or several', () => {
    expect([...(resolveOptions({ accessToken: 'a' }).accessTokens ?? [])]).toEqual(['a'])
    expect([...(resolveOptions({ accessToken: ['a', 'b'] }).accessTokens ?? [])]).toEqual(['a', 'b'])
  })

  it('merges partial session limits into the defaults, or turns them off', () => {
    expect(resolveOptions({ sessionLimits: { maxInflightMessages: 5, gatewayRateLimits: { telemetryDataPoints: '100:1' } } }).sessionLimits).toEqual({
      ...sessionLimitsDefaults,
      maxInflightMessages: 5,
      gatewayRateLimits: { messages: '', telemetryMessages: '', telemetryDataPoints: '100:1' },
    })
    expect(resolveOptions({ sessionLimits: false }).sessionLimits).toBe(false)
  })

  it('refuses values that cannot work, naming the option', () => {
    invalid(() => resolveOptions({ port: 70000 }), 'sandbox option port: expected an integer port 0-65535, got 70000')
    invalid(() => resolveOptions({ httpPort: -1 }), 'httpPort')
    invalid(() => resolveOptions({ accessToken: [] }), 'accessToken')
    invalid(() => resolveOptions({ accessToken: '' }), 'accessToken')
    invalid(() => resolveOptions({ maxMessages: 0 }), 'maxMessages')
    invalid(() => resolveOptions({ attributeResponseDelayMs: -5 }), 'attributeResponseDelayMs')
    invalid(() => resolveOptions({ host: '' }), 'host')
    invalid(() => resolveOptions({ attributeResponseShape: 'x' as 'found' }), 'attributeResponseShape')
  })
})

describe('resolveBehaviour', () => {
  it('changes only what is given', () => {
    const base = resolveBehaviour({ attributeResponseDelayMs: 50 })
    const next = resolveBehaviour({ answerAttributeRequests: false }, base)
    expect(next).toEqual({ ...base, answerAttributeRequests: false })
    expect(next.attributeResponseDelayMs).toBe(50)
  })
})

describe('SandboxError', () => {
  it('carries a code and a cause and is recognised by name and code', () => {
    const cause = new Error('low level')
    const e = new SandboxError('RPC_TIMEOUT', 'no reply', { cause })
    expect(e).toMatchObject({ name: 'SandboxError', code: 'RPC_TIMEOUT', message: 'no reply', cause })
    expect(SandboxError.is(e)).toBe(true)
    expect(SandboxError.is(e, 'RPC_TIMEOUT')).toBe(true)
    expect(SandboxError.is(e, 'STOPPED')).toBe(false)
    // A copy from another module instance is recognised by shape.
    expect(SandboxError.is({ name: 'SandboxError', code: 'STOPPED' })).toBe(true)
    expect(SandboxError.is(new Error('x'))).toBe(false)
    expect(SandboxError.is(null)).toBe(false)
  })
})
