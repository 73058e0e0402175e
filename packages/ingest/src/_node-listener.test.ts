import { describe, expect, test } from 'vitest'
import { isPlainTarget } from './_node-listener.ts'

describe('isPlainTarget', () => {
  test('plain origin-form paths and queries take the fast path', () => {
    for (const t of ['/my_devices', '/dev/SN-1', '/a/b?x=1&y=two', '/x?', '/m~1/(a)*+,;=:@!$&', '/']) expect(isPlainTarget(t)).toBe(true)
  })

  test('what h3 normalises or refuses goes through h3', () => {
    for (const t of ['/my%5Fdevices', '/a/./b', '/a/../b', '/.well-known', '//x', 'http://h/x', '*', '/a\\b', '/a b', "/q?x='", '/q?x="', '/a#f', '/ü', '']) {
      expect(isPlainTarget(t)).toBe(false)
    }
  })
})
