import { describe, expect, it } from 'vitest'
import { backoffDelay, retryAfterMs } from './_backoff.ts'

const top = (): number => 0.999999

describe('backoff', () => {
  it('full jitter under an exponential ceiling, capped', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map((n) => backoffDelay(n, 100, 5000, top))).toEqual([99, 199, 399, 799, 4999, 4999, 4999])
    expect(backoffDelay(3, 100, 5000, () => 0)).toBe(0)
    expect(backoffDelay(2, 100, 5000, () => 0.5)).toBe(100)
  })

  it('Retry-After: seconds or an HTTP date, capped, never negative', () => {
    const now = Date.parse('2024-01-01T00:00:00Z')
    expect(retryAfterMs('2', 5000, now)).toBe(2000)
    expect(retryAfterMs('120', 5000, now)).toBe(5000)
    expect(retryAfterMs('Mon, 01 Jan 2024 00:00:03 GMT', 5000, now)).toBe(3000)
    expect(retryAfterMs('Sun, 31 Dec 2023 23:00:00 GMT', 5000, now)).toBe(0)
    expect([retryAfterMs(null, 5000), retryAfterMs('', 5000), retryAfterMs('soon', 5000), retryAfterMs('-1', 5000)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ])
  })
})
