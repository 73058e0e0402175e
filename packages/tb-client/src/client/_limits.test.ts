import { describe, expect, it } from 'vitest'
import { parseRateLimit, parseSessionLimits, rateDelay } from './_limits.ts'

describe('session limits', () => {
  it('parses "cap:seconds" lists at 80 %, skipping junk', () => {
    expect(parseRateLimit('200:1,6000:60,')).toEqual([
      { cap: 160, periodMs: 1000, start: 0, used: 0 },
      { cap: 4800, periodMs: 60_000, start: 0, used: 0 },
    ])
    expect(parseRateLimit('1:1,x:y,-1:5')).toEqual([{ cap: 1, periodMs: 1000, start: 0, used: 0 }])
    expect(parseRateLimit(undefined)).toEqual([])
  })

  it('reads a getSessionLimits reply', () => {
    const limits = parseSessionLimits({
      maxPayloadSize: 65536,
      maxInflightMessages: 100,
      rateLimits: { messages: '10:1' },
      gatewayRateLimits: { telemetryMessages: '5:1', telemetryDataPoints: '100:1' },
    })
    expect(limits).toMatchObject({ maxPayloadSize: 52428, maxInflightMessages: 80 })
    expect(limits?.messages).toHaveLength(1)
    expect(limits?.telemetryMessages).toHaveLength(1)
    expect(limits?.telemetryDataPoints).toHaveLength(1)
    expect(parseSessionLimits({ success: false })).toBeUndefined()
    expect(parseSessionLimits('x')).toBeUndefined()
  })

  it('delays over the limit, opens a new window after the period, counts datapoints for telemetry only', () => {
    const limits = parseSessionLimits({ rateLimits: { messages: '3:1', telemetryDataPoints: '10:1' } })
    // messages cap 2 per second, datapoints cap 8 per second
    expect(rateDelay(limits, true, 5, 1000)).toBe(0)
    expect(rateDelay(limits, true, 5, 1100)).toBe(900)
    expect(rateDelay(limits, false, 0, 1200)).toBe(0)
    expect(rateDelay(limits, false, 0, 1300)).toBe(700)
    expect(rateDelay(limits, true, 5, 2000)).toBe(0)
    // a publish larger than a whole window still goes in a fresh window (no deadlock)
    expect(rateDelay(limits, true, 50, 3000)).toBe(0)
    expect(rateDelay(undefined, true, 1000, 0)).toBe(0)
  })
})
