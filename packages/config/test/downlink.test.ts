import { describe, expect, it } from 'vitest'
import { validateConfig } from '../src/validate-config.ts'
import { validateGatewayConfig } from '../src/validate-gateway-config.ts'
import { messages, valid } from './_helpers.ts'

const gateway = (extra: Record<string, unknown>) =>
  validateGatewayConfig({ thingsboard: { host: 'tb', security: { accessToken: 't' } }, connectors: [], ...extra }, { env: {} })

describe('downlink bounds and fetch switches (issue 10)', () => {
  it('fills the defaults: bounds, and reserved get/set enabled for any URL (as the original)', () => {
    const config = valid(validateConfig({ attributeUpdates: [{ requestUrlExpression: 'http://h/', valueExpression: 'x' }] }))
    expect(config.downlink).toEqual({
      maxConcurrencyPerOrigin: 8,
      maxActiveMessages: 256,
      maxQueuedMessages: 10000,
      maxQueuedBytes: 16777216,
      maxRequests: 1024,
    })
    expect(config.reservedRpc).toEqual({ enabled: true, allow: [], configKey: 'reservedRpc (rest.json)' })
    const gw = gateway({})
    expect(gw.ok && gw.config.restRpc).toEqual({ enabled: true, allow: [], configKey: 'restRpc (tb_gateway.json)' })
  })

  it('takes given values and checks them', () => {
    const config = valid(
      validateConfig({
        downlink: { maxActiveMessages: 4, maxQueuedMessages: 0, maxRequests: 16 },
        reservedRpc: { enabled: false, allow: ['api.example.com', 'http://127.0.0.1:8080/v1/'] },
      }),
    )
    expect(config.downlink).toMatchObject({ maxActiveMessages: 4, maxQueuedMessages: 0, maxRequests: 16, maxConcurrencyPerOrigin: 8 })
    expect(config.reservedRpc).toMatchObject({ enabled: false, allow: ['api.example.com', 'http://127.0.0.1:8080/v1/'] })
    const bad = validateConfig({ downlink: { maxActiveMessages: 0 }, reservedRpc: { enabled: 'no', allow: ['ftp://x/'] } })
    expect(bad.ok).toBe(false)
    const text = messages(bad.issues).join('\n')
    expect(text).toContain('downlink.maxActiveMessages')
    expect(text).toContain('reservedRpc.enabled')
    expect(text).toContain('reservedRpc.allow[0]')
    const gw = gateway({ restRpc: { enabled: false, allow: ['h:1'] } })
    expect(gw.ok && gw.config.restRpc).toMatchObject({ enabled: false, allow: ['h:1'] })
  })

  it('warns about unknown keys in the new sections like everywhere else', () => {
    const result = validateConfig({
      downlink: { maxQueue: 1 },
      reservedRpc: { alow: [] },
      attributeUpdates: [{ requestUrlExpression: 'http://h/', valueExpression: 'x' }],
    })
    expect(result.ok).toBe(true)
    const text = messages(result.warnings).join('\n')
    expect(text).toContain('downlink.maxQueue')
    expect(text).toContain('reservedRpc.alow')
  })
})
