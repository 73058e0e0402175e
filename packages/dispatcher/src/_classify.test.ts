import { describe, expect, it } from 'vitest'
import { classifyNetworkError, classifyResponse, parseResult } from './_classify.ts'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

function withCause(code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) })
}

function response(status: number, body = '', headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : body, { status, headers })
}

describe('classify', () => {
  it('parses results by content type', () => {
    expect(parseResult(bytes('{"a":1}'), 'application/json; charset=utf-8')).toEqual({ a: 1 })
    expect(parseResult(bytes('{"a":1}'), 'application/problem+json')).toEqual({ a: 1 })
    expect(parseResult(bytes('{"a":1}'), 'text/plain')).toBe('{"a":1}')
    expect(parseResult(bytes('42'), null)).toBe(42)
    expect(parseResult(bytes('Success'), null)).toBe('Success')
    expect(parseResult(new Uint8Array(0), 'application/json')).toBe('')
    expect(parseResult(new Uint8Array([0xc3, 0x28]), 'text/plain')).toEqual({ base64: 'wyg=' })
  })

  it('statuses: 2xx ok; 5xx/408/429 retriable; other 4xx final; 3xx per allowRedirects', () => {
    expect(classifyResponse(response(200, 'ok', { 'content-type': 'text/plain' }), bytes('ok'), true)).toEqual({ done: true, status: 200, result: 'ok' })
    expect(classifyResponse(response(503), bytes('busy\n\n  now'), true)).toEqual({
      done: false,
      status: 503,
      failure: { kind: 'http', message: 'Service Unavailable: busy now', code: 503 },
    })
    expect(classifyResponse(response(429), new Uint8Array(0), true).done).toBe(false)
    expect(classifyResponse(response(408), new Uint8Array(0), true).done).toBe(false)
    expect(classifyResponse(response(404), new Uint8Array(0), true)).toEqual({
      done: true,
      status: 404,
      failure: { kind: 'http', message: 'Not Found', code: 404 },
    })
    expect(classifyResponse(response(301, '', { location: 'https://x/y' }), new Uint8Array(0), false).failure).toEqual({
      kind: 'redirect',
      message: '301 Moved Permanently: redirect to https://x/y not followed (allowRedirects is false)',
      code: 301,
    })
    expect(classifyResponse(response(500), bytes('e'.repeat(1000)), true).failure?.message).toHaveLength('Internal Server Error: '.length + 201)
  })

  it('network errors: readable messages with host:port; TLS errors are not retried', () => {
    expect(classifyNetworkError(withCause('ECONNREFUSED'), '127.0.0.1:5999')).toEqual({
      done: false,
      failure: { kind: 'network', message: 'connection refused to 127.0.0.1:5999', code: 502 },
    })
    expect(classifyNetworkError(withCause('ENOTFOUND'), 'nohost:80').failure?.message).toBe('host not found: nohost:80')
    expect(classifyNetworkError(withCause('ECONNRESET'), 'h:1').failure?.message).toBe('connection to h:1 closed unexpectedly')
    expect(classifyNetworkError(withCause('DEPTH_ZERO_SELF_SIGNED_CERT'), 'h:443')).toEqual({
      done: true,
      failure: {
        kind: 'tls',
        message: 'TLS certificate of h:443 rejected (DEPTH_ZERO_SELF_SIGNED_CERT); trust it with security.ca or set SSLVerify false',
        code: 502,
      },
    })
    expect(classifyNetworkError(withCause('ERR_SSL_WRONG_VERSION_NUMBER'), 'h:443')).toMatchObject({ done: true, failure: { kind: 'tls' } })
    expect(classifyNetworkError(new Error('weird'), 'h:1')).toEqual({
      done: false,
      failure: { kind: 'network', message: 'request to h:1 failed: weird', code: 502 },
    })
  })
})
