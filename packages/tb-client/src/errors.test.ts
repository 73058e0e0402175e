import { describe, expect, it } from 'vitest'
import { OutboxFullError, StorageFullError, TbClientError } from './errors.ts'

describe('errors', () => {
  it('carry a code and cause; is() checks by name and code, also for copies from another realm', () => {
    const cause = new Error('disk')
    const full = new StorageFullError('full', 10, { cause })
    expect(full).toMatchObject({ name: 'StorageFullError', code: 'STORAGE_FULL', capacity: 10, cause })
    expect(StorageFullError.is(full)).toBe(true)
    expect(TbClientError.is(full)).toBe(true)
    expect(OutboxFullError.is(full)).toBe(false)
    const outbox = new OutboxFullError('outbox full', 3)
    expect(OutboxFullError.is(outbox)).toBe(true)
    expect(outbox.retryAfterSeconds).toBe(3)
    const foreign = Object.assign(new Error('x'), { name: 'StorageFullError', code: 'STORAGE_FULL' })
    expect(StorageFullError.is(foreign)).toBe(true)
    expect(TbClientError.is(new Error('x'))).toBe(false)
    expect(TbClientError.is({ name: 'TbClientError' })).toBe(false)
    expect(TbClientError.is(null)).toBe(false)
  })
})
