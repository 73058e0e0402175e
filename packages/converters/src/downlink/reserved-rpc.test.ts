import { describe, expect, it } from 'vitest'
import { createRpcRequestBuilder } from './builders.ts'
import { downlinkFailureOf } from './downlink-error.ts'
import { isReservedRpcMethod, reservedRpcMethodOf, toReservedRpcRequestConfig, type ReservedRpcMethod } from './reserved-rpc.ts'
import type { OutboundRequest } from './types.ts'

function request(method: ReservedRpcMethod, params: unknown, id: number | string = 22): OutboundRequest {
  return createRpcRequestBuilder(toReservedRpcRequestConfig(method, params))('SN-001', { id, method, params })
}

function failure(method: ReservedRpcMethod, params: unknown): { reason: string | undefined; message: string } {
  try {
    toReservedRpcRequestConfig(method, params)
  } catch (e) {
    return { reason: downlinkFailureOf(e), message: (e as Error).message }
  }
  throw new Error('expected a throw')
}

describe('reserved get/set RPC (case 36, weakness 22)', () => {
  it('recognises only get and set', () => {
    expect([isReservedRpcMethod('get'), isReservedRpcMethod('set'), isReservedRpcMethod('GET'), isReservedRpcMethod('echo')]).toEqual([
      true,
      true,
      false,
      false,
    ])
    expect(['get', 'set', 'rest_get', 'rest_set', 'GET', 'rest_x', undefined].map(reservedRpcMethodOf)).toEqual([
      'get',
      'set',
      'get',
      'set',
      undefined,
      undefined,
      undefined,
    ])
  })

  it('36: get with value=${params} → GET /light-level, body = the whole params string', () => {
    const params = 'requestUrlExpression=http://127.0.0.1:5001/light-level;value=${params};'
    expect(request('get', params)).toEqual({ url: 'http://127.0.0.1:5001/light-level', method: 'GET', headers: {}, body: params })
  })

  it('36: set value=80;HTTPMethod=POST → POST /light-level body 80', () => {
    expect(request('set', 'requestUrlExpression=http://127.0.0.1:5001/light-level;value=80;HTTPMethod=POST;')).toEqual({
      url: 'http://127.0.0.1:5001/light-level',
      method: 'POST',
      headers: {},
      body: '80',
    })
  })

  it('36: httpHeaders as JSON and a JSON value → JSON body sent as written', () => {
    const params = 'requestUrlExpression=http://127.0.0.1:5001/light-level;httpHeaders={"Content-Type":"application/json"};value={"level": 80};'
    expect(request('set', params)).toEqual({
      url: 'http://127.0.0.1:5001/light-level',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"level": 80}',
    })
  })

  it('36: a Python literal value is sent verbatim (no literal_eval semantics)', () => {
    const params = 'requestUrlExpression=http://h/l;httpHeaders={"Content-Type":"application/json"};value={\'level\': 80};'
    expect(request('set', params).body).toBe("{'level': 80}")
  })

  it('values may contain "=" and ";" (URL queries), split only before known keys and on the first "="', () => {
    const params = 'requestUrlExpression=http://127.0.0.1:5001/q?a=1&b=x=y;jsessionid=7;value=k=v;w;tries=2;'
    const config = toReservedRpcRequestConfig('get', params)
    expect(config).toMatchObject({ requestUrlExpression: 'http://127.0.0.1:5001/q?a=1&b=x=y;jsessionid=7', valueExpression: 'k=v;w', tries: 2 })
    expect(request('get', params)).toMatchObject({ url: 'http://127.0.0.1:5001/q?a=1&b=x=y;jsessionid=7', body: 'k=v;w' })
  })

  it('keys are matched in any case; the last trailing ";" is optional', () => {
    expect(toReservedRpcRequestConfig('get', 'RequestUrlExpression=http://h/a;HTTPMETHOD=put;Timeout=2.5')).toMatchObject({
      requestUrlExpression: 'http://h/a',
      httpMethod: 'PUT',
      timeout: 2.5,
      tries: 3,
    })
  })

  it('object params with the same keys; non-string values JSON-encoded; headers as an object', () => {
    const params = {
      requestUrlExpression: 'http://h/x?a=1',
      value: { level: 80 },
      httpMethod: 'patch',
      httpHeaders: { 'Content-Type': 'application/json' },
      timeout: 1,
      tries: 1,
    }
    expect(toReservedRpcRequestConfig('set', params)).toMatchObject({
      requestUrlExpression: 'http://h/x?a=1',
      valueExpression: '{"level":80}',
      httpMethod: 'PATCH',
      httpHeaders: { 'content-type': 'application/json' },
      timeout: 1,
      tries: 1,
      security: { type: 'anonymous' },
      urlIsRelative: false,
    })
  })

  it('defaults: get → GET, set → POST, no body without value', () => {
    expect(request('get', 'requestUrlExpression=http://h/a;')).toEqual({ url: 'http://h/a', method: 'GET', headers: {} })
    expect(request('set', { requestUrlExpression: 'http://h/a' })).toEqual({ url: 'http://h/a', method: 'POST', headers: {} })
  })

  it('the value is a template over the RPC variables', () => {
    expect(request('set', { requestUrlExpression: 'http://h/${deviceName}/${requestId}', value: '${method}:${id}' }, 5)).toMatchObject({
      url: 'http://h/SN-001/5',
      body: 'set:5',
    })
  })

  it('a relative URL is flagged (calls fail with URL_RELATIVE)', () => {
    const config = toReservedRpcRequestConfig('get', 'requestUrlExpression=/light;')
    expect(config.urlIsRelative).toBe(true)
    expect(() => createRpcRequestBuilder(config)('d', { id: 1, method: 'get', params: '' })).toThrow('requestUrlExpression "/light" has no scheme and host')
  })

  it('missing requestUrlExpression → RESERVED_RPC_PARAMS', () => {
    expect(failure('get', 'value=1;')).toEqual({ reason: 'RESERVED_RPC_PARAMS', message: 'rpc "get" params: requestUrlExpression is missing' })
    expect(failure('set', {})).toEqual({ reason: 'RESERVED_RPC_PARAMS', message: 'rpc "set" params: requestUrlExpression is missing' })
  })

  it('bad params are RESERVED_RPC_PARAMS errors saying what is wrong', () => {
    expect(failure('get', 'url=http://h/;').message).toBe(
      'rpc "get" params: unknown key "url" (known: requestUrlExpression, value (valueExpression), HTTPMethod (httpMethod), httpHeaders, timeout, tries)',
    )
    expect(failure('get', 'nonsense').message).toContain('without "="')
    expect(failure('get', 42).message).toContain('got number')
    expect(failure('get', ['x']).message).toContain('got an array')
    expect(failure('get', 'requestUrlExpression=http://h/;HTTPMethod=FETCH').message).toContain('HTTPMethod must be one of')
    expect(failure('get', 'requestUrlExpression=http://h/;timeout=-1').message).toContain('timeout must be a positive number')
    expect(failure('get', 'requestUrlExpression=http://h/;tries=1.5').message).toContain('tries must be an integer from 1 to 10')
    expect(failure('get', 'requestUrlExpression=http://h/;tries=1000').message).toContain('tries must be an integer from 1 to 10')
    expect(failure('get', 'requestUrlExpression=http://h/;httpHeaders={bad').message).toContain('httpHeaders must be a JSON object')
    expect(failure('get', { requestUrlExpression: 'http://h/', httpHeaders: { a: {} } }).message).toContain('httpHeaders "a" must be a string')
    expect(failure('get', { requestUrlExpression: 1 }).message).toContain('requestUrlExpression must be a string')
    expect(failure('get', { requestUrlExpression: 'http://h/', extra: 1 }).message).toContain('unknown key "extra"')
  })
})
