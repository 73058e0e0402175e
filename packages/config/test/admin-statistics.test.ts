import { describe, expect, it } from 'vitest'
import { validateGatewayConfig } from '../src/validate-gateway-config.ts'
import { messages, valid } from './_helpers.ts'

const dir = '/etc/gw'
const tb = { host: 'tb.local', security: { accessToken: 'T0KEN' } }
const validate = (json: Record<string, unknown>) => validateGatewayConfig({ connectors: [], ...json }, { configDir: dir, env: {} })

describe('admin', () => {
  it('is absent (off) by default and filled with defaults when given', () => {
    expect(valid(validate({ thingsboard: tb })).admin).toBeUndefined()
    expect(valid(validate({ thingsboard: tb, admin: {} })).admin).toEqual({
      enable: true,
      host: '127.0.0.1',
      port: 9100,
      allowRemote: false,
      readyGraceSeconds: 30,
    })
    expect(valid(validate({ thingsboard: tb, admin: { host: '::1', port: '9200', readyGraceSeconds: 0 } })).admin).toMatchObject({
      host: '::1',
      port: 9200,
      readyGraceSeconds: 0,
    })
  })
  it('refuses a non-loopback host unless allowRemote is true', () => {
    const result = validate({ thingsboard: tb, admin: { host: '0.0.0.0' } })
    expect(result.ok).toBe(false)
    expect(messages(result.issues)[0]).toMatch(/^admin\.host: expected a loopback address .*set "allowRemote": true.*; got "0\.0\.0\.0"$/)
    expect(valid(validate({ thingsboard: tb, admin: { host: '0.0.0.0', allowRemote: true } })).admin).toMatchObject({ host: '0.0.0.0', allowRemote: true })
    expect(valid(validate({ thingsboard: tb, admin: { host: '0.0.0.0', enable: false } })).admin).toMatchObject({ enable: false })
  })
  it('checks types and warns about unknown keys', () => {
    const bad = validate({ thingsboard: tb, admin: { port: 'x', enable: 'yes' } })
    expect(bad.ok).toBe(false)
    expect(messages(bad.issues).join('\n')).toContain('admin.port')
    expect(messages(validate({ thingsboard: tb, admin: { prot: 1 } }).warnings)).toContain('admin.prot: unknown key; did you mean "port"?')
  })
})

describe('thingsboard.statistics', () => {
  it("is off when absent; the original's defaults when given; its other keys warned as not implemented", () => {
    expect(valid(validate({ thingsboard: tb })).statistics).toBeUndefined()
    const result = validate({ thingsboard: { ...tb, statistics: { enable: true, statsSendPeriodInSeconds: 5, customStatsSendPeriodInSeconds: 3600 } } })
    expect(valid(result).statistics).toEqual({ enable: true, statsSendPeriodInSeconds: 5 })
    expect(messages(result.warnings)).toContain('thingsboard.statistics.customStatsSendPeriodInSeconds: not implemented by restgate; ignored')
    expect(valid(validate({ thingsboard: { ...tb, statistics: {} } })).statistics).toEqual({ enable: true, statsSendPeriodInSeconds: 60 })
    expect(validate({ thingsboard: { ...tb, statistics: { statsSendPeriodInSeconds: 0 } } }).ok).toBe(false)
  })
})
