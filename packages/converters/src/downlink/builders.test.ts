import { logFnOf } from '@restgate/core'
import { describe, expect, it } from 'vitest'
import type { Logger } from '../logger.ts'
import { ConverterError } from '../errors.ts'
import { attributeUpdateRule, rpcRule } from './_test-rules.ts'
import { createAttributeUpdateRequestBuilder, createDownlinkBuilder, createRpcRequestBuilder } from './builders.ts'
import { DownlinkBuildError, downlinkFailureOf } from './downlink-error.ts'

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return { warnings, debug() {}, info() {}, warn: logFnOf((msg) => void warnings.push(msg)), error: logFnOf((msg) => void warnings.push(msg)) }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

/** The shipped attributeUpdates[0] (AU1) of docs/spec/original-behaviour.md §7. */
const AU1 = attributeUpdateRule({
  httpMethod: 'POST',
  httpHeaders: { 'Content-Type': 'application/json' },
  deviceNameFilter: 'SN.*',
  requestUrlExpression: 'http://127.0.0.1:5001/',
  valueExpression: '{"deviceName":"${deviceName}","${attributeKey}":"${attributeValue}"}',
})

/** AU2: PUT, no headers, basic auth, templated URL and a bare value. */
const AU2 = attributeUpdateRule({
  httpMethod: 'PUT',
  security: { type: 'basic', username: 'u', password: 'p' },
  deviceNameFilter: 'PLAIN.*',
  attributeFilter: 'mode|speed',
  requestUrlExpression: 'http://127.0.0.1:5001/dev/${deviceName}/${attributeKey}?v=${attributeValue}',
  valueExpression: '${attributeValue}',
})

const ECHO = rpcRule({
  methodFilter: 'echo',
  requestUrlExpression: 'http://127.0.0.1:5001/${deviceName}',
  valueExpression: '${params}',
  httpHeaders: { 'Content-Type': 'application/json' },
  responseTimeout: 1,
})

const SET_TEMP = rpcRule({
  httpMethod: 'POST',
  methodFilter: 'setTemp',
  requestUrlExpression: 'http://127.0.0.1:5001/set/${params.zone}?restId=${restId}',
  valueExpression: '{"target": ${params.value}, "zone": "${params.zone}"}',
  httpHeaders: { 'Content-Type': 'application/json' },
})

describe('attribute update builder (cases 26, 27, 29)', () => {
  it('26: firmware update → POST / with a JSON body, no Python repr', () => {
    const build = createAttributeUpdateRequestBuilder(AU1)
    expect(build('SN-001', 'firmware', '1.2', { firmware: '1.2' })).toEqual({
      url: 'http://127.0.0.1:5001/',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"deviceName":"SN-001","firmware":"1.2"}',
    })
  })

  it('27: every key is its own request; values inside JSON strings are text (true, not True)', () => {
    const build = createAttributeUpdateRequestBuilder(AU1)
    const data = { a: 1, b: true }
    expect(build('SN-001', 'a', 1, data).body).toBe('{"deviceName":"SN-001","a":"1"}')
    expect(build('SN-001', 'b', true, data).body).toBe('{"deviceName":"SN-001","b":"true"}')
    expect(build('SN-001', 'enabled', true, { enabled: true }).body).toBe('{"deviceName":"SN-001","enabled":"true"}')
  })

  it('27: an object value inside a JSON string stays valid JSON (its JSON text, escaped)', () => {
    const body = createAttributeUpdateRequestBuilder(AU1)('SN-001', 'cfg', { a: 1 }, { cfg: { a: 1 } }).body as string
    expect(body).toBe('{"deviceName":"SN-001","cfg":"{\\"a\\":1}"}')
    expect(JSON.parse(body)).toEqual({ deviceName: 'SN-001', cfg: '{"a":1}' })
  })

  it('29: URL values are percent-encoded per placeholder; text body as-is; no content type', () => {
    const build = createAttributeUpdateRequestBuilder(AU2)
    expect(build('PLAIN-1', 'mode', 'eco mode/1', { mode: 'eco mode/1' })).toEqual({
      url: 'http://127.0.0.1:5001/dev/PLAIN-1/mode?v=eco%20mode%2F1',
      method: 'PUT',
      headers: {},
      body: 'eco mode/1',
    })
    expect(build('PLAIN 1', 'speed', 42, { speed: 42 })).toMatchObject({ url: 'http://127.0.0.1:5001/dev/PLAIN%201/speed?v=42', body: '42' })
  })

  it('29: a bare word ("on") is sent, not dropped', () => {
    expect(createAttributeUpdateRequestBuilder(AU2)('PLAIN-1', 'mode', 'on', { mode: 'on' })).toMatchObject({
      url: 'http://127.0.0.1:5001/dev/PLAIN-1/mode?v=on',
      body: 'on',
    })
  })

  it('every key of the update is a variable; the built-ins win over same-named keys', () => {
    const rule = attributeUpdateRule({
      requestUrlExpression: 'http://h/${deviceName}/${fw}',
      valueExpression: '{"fw": "${fw}", "mode": ${mode}, "name": "${deviceName}"}',
      httpHeaders: { 'content-type': 'application/json' },
    })
    const req = createAttributeUpdateRequestBuilder(rule)('SN-9', 'fw', '2.0', { fw: '2.0', mode: 3, deviceName: 'spoof' })
    expect(req.url).toBe('http://h/SN-9/2.0')
    expect(JSON.parse(req.body as string)).toEqual({ fw: '2.0', mode: 3, name: 'SN-9' })
  })

  it('several placeholders in one URL segment (weakness 19)', () => {
    const rule = attributeUpdateRule({ requestUrlExpression: 'http://h/${deviceName}-${attributeKey}.json?x=${attributeValue}&y=${attributeKey}' })
    expect(createAttributeUpdateRequestBuilder(rule)('SN-1', 'fw', 'a&b', { fw: 'a&b' }).url).toBe('http://h/SN-1-fw.json?x=a%26b&y=fw')
  })

  it('unicode, quotes and slashes in device names cannot break the URL or the JSON body', () => {
    const device = 'Cave "A"/ü\\1'
    const req = createAttributeUpdateRequestBuilder(
      attributeUpdateRule({
        requestUrlExpression: 'http://h/dev/${deviceName}',
        valueExpression: '{"deviceName":"${deviceName}"}',
        httpHeaders: { 'content-type': 'application/json' },
      }),
    )(device, 'k', 1, { k: 1 })
    expect(req.url).toBe('http://h/dev/Cave%20%22A%22%2F%C3%BC%5C1')
    expect(new URL(req.url).pathname.split('/')).toHaveLength(3)
    expect(JSON.parse(req.body as string)).toEqual({ deviceName: device })
  })

  it('the content type decides the body context: +json is JSON, text/plain is text', () => {
    const jsonLike = attributeUpdateRule({
      requestUrlExpression: 'http://h/',
      valueExpression: '${attributeValue}',
      httpHeaders: { 'content-type': 'application/merge-patch+json; charset=utf-8' },
    })
    const text = attributeUpdateRule({ requestUrlExpression: 'http://h/', valueExpression: '${attributeValue}', httpHeaders: { 'content-type': 'text/plain' } })
    expect(createAttributeUpdateRequestBuilder(jsonLike)('d', 'k', 'hi', { k: 'hi' }).body).toBe('"hi"')
    expect(createAttributeUpdateRequestBuilder(text)('d', 'k', 'hi', { k: 'hi' }).body).toBe('hi')
  })

  it('an empty valueExpression sends no body', () => {
    expect(createAttributeUpdateRequestBuilder(attributeUpdateRule({ requestUrlExpression: 'http://h/' }))('d', 'k', 1, { k: 1 })).not.toHaveProperty('body')
  })
})

describe('RPC builder (cases 30–32, 35)', () => {
  it('30: echo → GET /SN-001 with the params as the JSON body', () => {
    expect(createRpcRequestBuilder(ECHO)('SN-001', { id: 11, method: 'echo', params: { x: 1, flag: true } })).toEqual({
      url: 'http://127.0.0.1:5001/SN-001',
      method: 'GET',
      headers: { 'content-type': 'application/json' },
      body: '{"x":1,"flag":true}',
    })
  })

  it('31: ${requestId}, ${restId} and ${methodName} all work', () => {
    const rule = rpcRule({
      httpMethod: 'POST',
      requestUrlExpression: 'http://127.0.0.1:5001/sensor/${deviceName}/request/${methodName}/${requestId}?restId=${restId}',
      valueExpression: '${params}',
      httpHeaders: { 'content-type': 'application/json' },
    })
    expect(createRpcRequestBuilder(rule)('SN-001', { id: 13, method: 'no-reply', params: { a: 1 } })).toMatchObject({
      url: 'http://127.0.0.1:5001/sensor/SN-001/request/no-reply/13?restId=13',
      body: '{"a":1}',
    })
  })

  it("31: the docs' relative no-reply URL fails with URL_RELATIVE naming the expression", () => {
    const rule = rpcRule({ path: 'serverSideRpc[1]', requestUrlExpression: '/sensor/${deviceName}/request/${methodName}/${requestId}' })
    const build = createRpcRequestBuilder(rule)
    const e = thrown(() => build('SN-001', { id: 13, method: 'no-reply', params: {} }))
    expect(downlinkFailureOf(e)).toBe('URL_RELATIVE')
    expect((e as Error).message).toBe(
      'serverSideRpc[1]: requestUrlExpression "/sensor/${deviceName}/request/${methodName}/${requestId}" has no scheme and host',
    )
    expect(ConverterError.is(e)).toBe(true)
  })

  it('32: setTemp → /set/kitchen?restId=14, number stays a number, string is quoted', () => {
    expect(createRpcRequestBuilder(SET_TEMP)('Boiler 1', { id: 14, method: 'setTemp', params: { zone: 'kitchen', value: 21.5 } })).toEqual({
      url: 'http://127.0.0.1:5001/set/kitchen?restId=14',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"target": 21.5, "zone": "kitchen"}',
    })
  })

  it('32: a quote in a value is escaped inside the JSON string', () => {
    const body = createRpcRequestBuilder(SET_TEMP)('B', { id: 1, method: 'setTemp', params: { zone: 'kit"chen', value: 20 } }).body as string
    expect(JSON.parse(body)).toEqual({ target: 20, zone: 'kit"chen' })
  })

  it('35: a string param with ${params} in a JSON rule becomes a JSON string; in text it is the text', () => {
    expect(createRpcRequestBuilder(ECHO)('SN-001', { id: 1, method: 'echo', params: 'hello' }).body).toBe('"hello"')
    const text = rpcRule({ requestUrlExpression: 'http://h/', valueExpression: '${params}' })
    expect(createRpcRequestBuilder(text)('SN-001', { id: 1, method: 'x', params: 'hello' }).body).toBe('hello')
  })

  it('35: two placeholders in one query string are both rendered and encoded', () => {
    const rule = rpcRule({ requestUrlExpression: 'http://h/q?a=${params.a}&b=${params.b}' })
    const req = createRpcRequestBuilder(rule)('d', { id: 1, method: 'm', params: { a: 'x y', b: '1&2' } })
    expect(req.url).toBe('http://h/q?a=x%20y&b=1%262')
    expect(Object.fromEntries(new URL(req.url).searchParams)).toEqual({ a: 'x y', b: '1&2' })
  })

  it('a URL placeholder without a value → DOWNLINK_TEMPLATE_MISSING naming it', () => {
    const e = thrown(() => createRpcRequestBuilder(SET_TEMP)('B', { id: 1, method: 'setTemp', params: { value: 1 } }))
    expect(e).toBeInstanceOf(DownlinkBuildError)
    expect((e as DownlinkBuildError).reason).toBe('DOWNLINK_TEMPLATE_MISSING')
    expect((e as DownlinkBuildError).placeholders).toEqual(['${params.zone}'])
    expect((e as Error).message).toContain('serverSideRpc[0].requestUrlExpression: no usable value for ${params.zone}')
  })

  it('a body placeholder without a value renders per the templater and is logged', () => {
    const logger = recordingLogger()
    const req = createRpcRequestBuilder(SET_TEMP, { logger })('B', { id: 1, method: 'setTemp', params: { zone: 'z' } })
    expect(req.body).toBe('{"target": null, "zone": "z"}')
    expect(logger.warnings).toEqual(['serverSideRpc[0].valueExpression: no value for ${params.value}; rendered empty (null outside JSON strings)'])
  })

  it('a URL that is one placeholder takes the value as the whole URL (and must be absolute)', () => {
    const rule = rpcRule({ requestUrlExpression: '${params.url}' })
    const build = createRpcRequestBuilder(rule)
    expect(build('d', { id: 1, method: 'm', params: { url: 'https://example.test/a?b=c' } }).url).toBe('https://example.test/a?b=c')
    expect(downlinkFailureOf(thrown(() => build('d', { id: 1, method: 'm', params: { url: 'relative/x' } })))).toBe('URL_RELATIVE')
    expect(downlinkFailureOf(thrown(() => build('d', { id: 1, method: 'm', params: {} })))).toBe('DOWNLINK_TEMPLATE_MISSING')
  })

  it('a non-http scheme is URL_INVALID, at call time (start-up is not stopped)', () => {
    const build = createRpcRequestBuilder(rpcRule({ requestUrlExpression: 'ftp://h/x' }))
    expect(downlinkFailureOf(thrown(() => build('d', { id: 1, method: 'm' })))).toBe('URL_INVALID')
  })

  it('a template syntax error is CONVERTER_CONFIG at build time, with the config path', () => {
    const e = thrown(() => createRpcRequestBuilder(rpcRule({ requestUrlExpression: 'http://h/${params', path: 'serverSideRpc[3]' })))
    expect(ConverterError.is(e) && e.code).toBe('CONVERTER_CONFIG')
    expect((e as Error).message).toContain('serverSideRpc[3].requestUrlExpression')
  })
})

describe('createDownlinkBuilder (whole events)', () => {
  it('dispatches on the event type', () => {
    const rule = rpcRule({ requestUrlExpression: 'http://h/${deviceName}', valueExpression: '${attributeKey}|${method}' })
    const build = createDownlinkBuilder(rule, { logger: recordingLogger() })
    expect(build({ type: 'attributeUpdate', device: 'A', key: 'k', value: 1, data: { k: 1 } })).toMatchObject({ url: 'http://h/A', body: 'k|' })
    expect(build({ type: 'rpc', device: 'B', data: { id: 1, method: 'm' } })).toMatchObject({ url: 'http://h/B', body: '|m' })
  })
})

describe('large updates and header templates (issue 10)', () => {
  it('builds the requests of a 100 000-key update in linear time: each scope holds only what the rule reads', () => {
    const rule = attributeUpdateRule({
      requestUrlExpression: 'http://127.0.0.1:5001/${deviceName}/${attributeKey}?fw=${firmware}',
      valueExpression: '${attributeValue}',
    })
    const build = createAttributeUpdateRequestBuilder(rule)
    const data: Record<string, unknown> = { firmware: '1.2' }
    for (let i = 0; i < 100_000; i++) data[`k${i}`] = i
    const started = performance.now()
    let last
    for (const [key, value] of Object.entries(data)) last = build('D', key, value, data)
    // quadratic copying took minutes for 10 000 keys; linear work is well under this on any machine
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(last).toEqual({ url: 'http://127.0.0.1:5001/D/k99999?fw=1.2', method: 'POST', headers: {}, body: '99999' })
  })

  it('lets the built-ins win over data keys of the same name, and still sees data keys named like path heads', () => {
    const rule = attributeUpdateRule({ requestUrlExpression: 'http://h/${deviceName}/${cfg.zone}', valueExpression: '${attributeKey}' })
    const build = createAttributeUpdateRequestBuilder(rule)
    const request = build('D', 'x', 1, { deviceName: 'other', cfg: { zone: 'z1' }, x: 1 })
    expect(request.url).toBe('http://h/D/z1')
    expect(request.body).toBe('x')
  })

  it('sends no Content-Type when the rule names no headers', () => {
    const build = createAttributeUpdateRequestBuilder(attributeUpdateRule({ requestUrlExpression: 'http://h/', valueExpression: '${attributeValue}' }))
    expect(build('D', 'k', 'plain text', { k: 'plain text' })).toEqual({ url: 'http://h/', method: 'POST', headers: {}, body: 'plain text' })
  })

  it('renders ${...} in header values and refuses a value with CR or LF (HEADER_INVALID, never sent)', () => {
    const rule = rpcRule({ requestUrlExpression: 'http://h/', httpHeaders: { 'X-Token': 'Bearer ${params.token}', 'X-Dev': '${deviceName}' } })
    const build = createRpcRequestBuilder(rule)
    expect(build('D1', { id: 1, method: 'm', params: { token: 'abc' } }).headers).toEqual({ 'x-token': 'Bearer abc', 'x-dev': 'D1' })
    const e = thrown(() => build('D1', { id: 2, method: 'm', params: { token: 'a\r\nX-Evil: 1' } }))
    expect(downlinkFailureOf(e)).toBe('HEADER_INVALID')
    expect((e as Error).message).toContain('serverSideRpc[0].httpHeaders')
    const missing = thrown(() => build('D1', { id: 3, method: 'm', params: {} }))
    expect(downlinkFailureOf(missing)).toBe('DOWNLINK_TEMPLATE_MISSING')
  })
})
