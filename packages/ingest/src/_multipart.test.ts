import { expect, test } from 'vitest'
import { parseMultipart } from './_multipart.ts'

function multipart(boundary: string, parts: Array<{ headers: string[]; body: string | Uint8Array }>): Uint8Array {
  const chunks: Buffer[] = []
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${p.headers.map((h) => `${h}\r\n`).join('')}\r\n`))
    chunks.push(Buffer.from(p.body))
    chunks.push(Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}

test('fields as text, JSON parts parsed, files skipped', () => {
  const body = multipart('XyZ', [
    { headers: ['Content-Disposition: form-data; name="temp"'], body: '22' },
    { headers: ['content-disposition: form-data; name="hum"'], body: '33' },
    { headers: ['Content-Disposition: form-data; name="meta"', 'Content-Type: application/json'], body: '{"k":1}' },
    { headers: ['Content-Disposition: form-data; name="bad"', 'Content-Type: application/json'], body: '{nope' },
    {
      headers: ['Content-Disposition: form-data; name="f"; filename="a.bin"', 'Content-Type: application/octet-stream'],
      body: new Uint8Array([0, 255, 13, 10]),
    },
    { headers: ['Content-Disposition: form-data; name="semi;colon"'], body: 'x\r\ny' },
  ])
  expect(parseMultipart(body, 'XyZ')).toEqual({
    ok: true,
    files: 1,
    fields: { temp: '22', hum: '33', meta: { k: 1 }, bad: '{nope', 'semi;colon': 'x\r\ny' },
  })
})

test('a boundary appearing inside a value without CRLF is content', () => {
  const body = multipart('b1', [{ headers: ['Content-Disposition: form-data; name="v"'], body: 'a--b1b' }])
  expect(parseMultipart(body, 'b1')).toEqual({ ok: true, files: 0, fields: { v: 'a--b1b' } })
})

test('malformed bodies are reported, not thrown', () => {
  expect(parseMultipart(Buffer.from('no boundary here'), 'b')).toMatchObject({ ok: false, code: 'MULTIPART_INVALID' })
  expect(parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue'), 'b')).toMatchObject({
    ok: false,
    code: 'MULTIPART_INVALID',
  })
  expect(parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data'), 'b')).toMatchObject({ ok: false, code: 'MULTIPART_INVALID' })
  expect(parseMultipart(Buffer.from('x'), undefined)).toMatchObject({ ok: false, code: 'MULTIPART_INVALID' })
})

test('a field that is not valid UTF-8 is an encoding error', () => {
  const body = multipart('b', [{ headers: ['Content-Disposition: form-data; name="v"'], body: new Uint8Array([0xff, 0xfe]) }])
  expect(parseMultipart(body, 'b')).toMatchObject({ ok: false, code: 'INVALID_ENCODING' })
})

test('what FormData produces parses the same', async () => {
  const form = new FormData()
  form.append('temp', '22')
  form.append('meta', new Blob(['{"k":1}'], { type: 'application/json' }), 'meta.json')
  const request = new Request('http://x/', { method: 'POST', body: form })
  const type = request.headers.get('content-type') ?? ''
  const boundary = type.slice(type.indexOf('boundary=') + 'boundary='.length)
  const parsed = parseMultipart(new Uint8Array(await request.arrayBuffer()), boundary)
  expect(parsed).toEqual({ ok: true, files: 1, fields: { temp: '22' } })
})
