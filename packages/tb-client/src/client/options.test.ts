import { describe, expect, it } from 'vitest'
import { createTbClient } from './client.ts'
import { backoffDelay } from './_connection.ts'
import { tbClientDefaults } from './options.ts'

const security = { type: 'accessToken' as const, accessToken: 't' }

describe('options', () => {
  it('has the documented defaults', () => {
    expect(tbClientDefaults).toMatchObject({
      port: 1883,
      qos: 1,
      keepAlive: 120,
      maxPayloadSizeBytes: 8196,
      readRecordsCount: 100,
      minPackSendDelayMS: 50,
      connectorName: 'REST Connector',
      protocolVersion: 4,
      reconnect: { initialMs: 500, maxMs: 30_000 },
    })
  })

  it('rejects invalid options with INVALID_OPTIONS naming the option', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ host: '' }, 'options.host'],
      [{ port: 70000 }, 'options.port'],
      [{ qos: 2 }, 'options.qos'],
      [{ protocolVersion: 3 }, 'options.protocolVersion'],
      [{ maxPayloadSizeBytes: 0 }, 'options.maxPayloadSizeBytes'],
      [{ reconnect: { initialMs: -1 } }, 'options.reconnect.initialMs'],
      [{ security: { type: 'token' } }, 'options.security.type'],
    ]
    for (const [over, text] of bad) {
      expect(() => createTbClient({ host: 'h', security, ...over } as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining(text) }),
      )
    }
  })

  it('backoff doubles from initialMs up to maxMs, with 50-100 % jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((n) => backoffDelay(n, 500, 30_000, 1))).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000])
    expect(backoffDelay(3, 500, 30_000, 0)).toBe(1000)
    expect(backoffDelay(100, 500, 30_000, 0.5)).toBe(22_500)
  })

  it('a client that was never started stops cleanly and reports its state', async () => {
    const c = createTbClient({ host: '127.0.0.1', port: 1, security })
    expect(c.stats()).toMatchObject({ connected: false, queued: 0, inFlight: 0, connectAttempts: 0 })
    expect(await c.flush(10)).toBe(true)
    await c.stop()
    await expect(c.send([{ deviceName: 'A', attributes: { a: 1 } }])).rejects.toMatchObject({ code: 'STOPPED' })
  })
})
