import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { expect, test } from 'vitest'
import { codingOf, inflateBody } from './_inflate.ts'

test('codings: identity, gzip (x-gzip), deflate; anything else is not ours', () => {
  expect([null, '', 'identity', ' Identity '].map(codingOf)).toEqual(['identity', 'identity', 'identity', 'identity'])
  expect(['gzip', 'X-GZIP', 'deflate'].map(codingOf)).toEqual(['gzip', 'gzip', 'deflate'])
  expect(['br', 'compress', 'zstd', 'gzip, deflate', 'gzip;q=1'].map(codingOf)).toEqual([undefined, undefined, undefined, undefined, undefined])
})

test('inflates gzip, zlib deflate and raw deflate', async () => {
  const text = Buffer.from('{"a":1}')
  for (const [coding, bytes] of [
    ['gzip', gzipSync(text)],
    ['deflate', deflateSync(text)],
    ['deflate', deflateRawSync(text)],
  ] as const) {
    const out = await inflateBody(coding, bytes, 100)
    expect(out.ok && Buffer.from(out.bytes).toString()).toBe('{"a":1}')
  }
})

test('the limit is on the inflated size: exactly the limit passes, one byte more is too large (a bomb stops early)', async () => {
  expect(await inflateBody('gzip', gzipSync(Buffer.alloc(1000)), 1000)).toMatchObject({ ok: true })
  expect(await inflateBody('gzip', gzipSync(Buffer.alloc(1001)), 1000)).toMatchObject({ ok: false, reason: 'too-large' })
  const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024))
  expect(bomb.byteLength).toBeLessThan(32 * 1024)
  expect(await inflateBody('gzip', bomb, 1024 * 1024)).toMatchObject({ ok: false, reason: 'too-large' })
})

test('corrupt data', async () => {
  expect(await inflateBody('gzip', Buffer.from('nope'), 100)).toMatchObject({ ok: false, reason: 'corrupt' })
  expect(await inflateBody('deflate', Buffer.from([0xff, 0xff, 0xff]), 100)).toMatchObject({ ok: false, reason: 'corrupt' })
})
