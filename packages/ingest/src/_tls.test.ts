import { expect, test } from 'vitest'
import { expectedAltNames } from './_tls.ts'

test('loopback names always, plus the host as a DNS name or an IP SAN', () => {
  expect(expectedAltNames('127.0.0.1')).toEqual([
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ])
  expect(expectedAltNames('gateway.example')).toEqual([
    { type: 2, value: 'localhost' },
    { type: 2, value: 'gateway.example' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ])
  expect(expectedAltNames('10.1.2.3')).toContainEqual({ type: 7, ip: '10.1.2.3' })
  expect(expectedAltNames('[fd00::5]')).toContainEqual({ type: 7, ip: 'fd00::5' })
  expect(expectedAltNames('LOCALHOST')).toHaveLength(3)
})
