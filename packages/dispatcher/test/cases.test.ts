/** docs/spec/original-behaviour.md §7 cases 26–38, as restgate answers them (docs/spec/DECISIONS.md, Downlink). */
import { beforeEach, describe, expect, it } from 'vitest'
import { attributeUpdateRule, dispatcherFor, refusedPort, rpcRule, sendJson, sendText, startTarget, type Target } from './_helpers.ts'

/** The echo server of the cases: answers JSON describing what it received (path `/text` answers text, `/missing` 404, `/slow` never). */
let echo: Target

beforeEach(async () => {
  echo = await startTarget((req, res) => {
    if (req.url === '/text') return sendText(res, 200, 'plain ok')
    if (req.url.startsWith('/missing')) return sendText(res, 404, 'no such thing here')
    if (req.url === '/slow') return // never answers
    sendJson(res, 200, { echo: req.body, path: req.url, method: req.method })
  })
})

const AU1 = (url: string) =>
  attributeUpdateRule({
    httpMethod: 'POST',
    httpHeaders: { 'Content-Type': 'application/json' },
    deviceNameFilter: 'SN.*',
    attributeFilter: '.*',
    requestUrlExpression: `${url}/`,
    valueExpression: '{"deviceName":"${deviceName}","${attributeKey}":"${attributeValue}"}',
  })

const AU2 = (url: string) =>
  attributeUpdateRule(
    {
      httpMethod: 'PUT',
      security: { type: 'basic', username: 'u', password: 'p' },
      deviceNameFilter: 'PLAIN.*',
      attributeFilter: 'mode|speed',
      requestUrlExpression: `${url}/dev/\${deviceName}/\${attributeKey}?v=\${attributeValue}`,
      valueExpression: '${attributeValue}',
    },
    1,
  )

describe('attribute updates (26–29)', () => {
  it('26: firmware 1.2 for SN-001 → POST / with a JSON body; nothing published', async () => {
    const { dispatcher, replies } = dispatcherFor({ attributeUpdates: [AU1(echo.url), AU2(echo.url)] })
    const report = await dispatcher.onAttributeUpdate({ device: 'SN-001', data: { firmware: '1.2' } })
    expect(echo.received).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/',
        body: '{"deviceName":"SN-001","firmware":"1.2"}',
        headers: expect.objectContaining({ 'content-type': 'application/json' }),
      }),
    ])
    expect(report).toMatchObject({
      handled: true,
      replied: false,
      requests: [{ rule: 'attributeUpdates[0]', key: 'firmware', ok: true, status: 200, attempts: 1 }],
    })
    expect(replies).toEqual([])
  })

  it('27: every key is handled ({"a":1,"b":true} → two requests); true is "true", not "True"', async () => {
    const { dispatcher } = dispatcherFor({ attributeUpdates: [AU1(echo.url)] })
    await dispatcher.onAttributeUpdate({ device: 'SN-001', data: { a: 1, b: true } })
    expect(echo.received.map((r) => r.body).toSorted()).toEqual(['{"deviceName":"SN-001","a":"1"}', '{"deviceName":"SN-001","b":"true"}'])
  })

  it('28: XX-1 matches no deviceNameFilter → no request, not handled', async () => {
    const { dispatcher } = dispatcherFor({ attributeUpdates: [AU1(echo.url), AU2(echo.url)] })
    expect(await dispatcher.onAttributeUpdate({ device: 'XX-1', data: { a: 1 } })).toEqual({ handled: false, requests: [], replied: false })
    expect(echo.received).toEqual([])
  })

  it('29: AU2 → PUT with per-value URL encoding, Basic auth, no content type, raw body; "on" is sent', async () => {
    const { dispatcher } = dispatcherFor({ attributeUpdates: [AU1(echo.url), AU2(echo.url)] })
    await dispatcher.onAttributeUpdate({ device: 'PLAIN-1', data: { mode: 'eco mode/1' } })
    await dispatcher.onAttributeUpdate({ device: 'PLAIN 1', data: { speed: 42 } })
    await dispatcher.onAttributeUpdate({ device: 'PLAIN-1', data: { mode: 'on', other: 1 } })
    expect(echo.received.map((r) => [r.method, r.url, r.body, r.headers.authorization, r.headers['content-type']])).toEqual([
      ['PUT', '/dev/PLAIN-1/mode?v=eco%20mode%2F1', 'eco mode/1', 'Basic dTpw', undefined],
      ['PUT', '/dev/PLAIN%201/speed?v=42', '42', 'Basic dTpw', undefined],
      ['PUT', '/dev/PLAIN-1/mode?v=on', 'on', 'Basic dTpw', undefined],
    ])
  })
})

const ECHO = (url: string) =>
  rpcRule({
    methodFilter: 'echo',
    requestUrlExpression: `${url}/\${deviceName}`,
    responseTimeout: 1,
    httpMethod: 'GET',
    valueExpression: '${params}',
    httpHeaders: { 'Content-Type': 'application/json' },
  })
const NO_REPLY = (url: string) =>
  rpcRule(
    {
      methodFilter: 'no-reply',
      requestUrlExpression: `${url}/sensor/\${deviceName}/request/\${methodName}/\${requestId}`,
      httpMethod: 'POST',
      valueExpression: '${params}',
      httpHeaders: { 'Content-Type': 'application/json' },
    },
    1,
  )
const SET_TEMP = (url: string) =>
  rpcRule(
    {
      methodFilter: 'setTemp',
      requestUrlExpression: `${url}/set/\${params.zone}?restId=\${restId}`,
      httpMethod: 'POST',
      valueExpression: '{"target": ${params.value}, "zone": "${params.zone}"}',
      httpHeaders: { 'Content-Type': 'application/json' },
      responseTimeout: 2,
    },
    2,
  )

describe('server-side RPC (30–38)', () => {
  it('30: echo → GET /SN-001 with the params as its JSON body (as the original sends it), reply {"result": <server JSON>}', async () => {
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [ECHO(echo.url)] })
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 11, method: 'echo', params: { x: 1, flag: true } } })
    expect(echo.received).toEqual([expect.objectContaining({ method: 'GET', url: '/SN-001', body: '{"x":1,"flag":true}' })])
    expect(echo.received[0]?.headers['content-type']).toBe('application/json')
    expect(replies).toEqual([{ device: 'SN-001', id: 11, data: { result: { echo: '{"x":1,"flag":true}', path: '/SN-001', method: 'GET' } } }])
  })

  it('31: no-reply (no responseTimeout) → POST .../no-reply/13 with ${requestId} filled; no reply published', async () => {
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [ECHO(echo.url), NO_REPLY(echo.url)] })
    const report = await dispatcher.onRpc({ device: 'SN-001', data: { id: 13, method: 'no-reply', params: { a: 1 } } })
    expect(echo.received).toEqual([expect.objectContaining({ method: 'POST', url: '/sensor/SN-001/request/no-reply/13', body: '{"a":1}' })])
    expect(report).toMatchObject({ handled: true, replied: false, requests: [{ ok: true, status: 200 }] })
    expect(replies).toEqual([])
  })

  it("31: the docs' relative no-reply URL → no request, no reply, a warning naming the expression", async () => {
    const rule = rpcRule({ methodFilter: 'no-reply', requestUrlExpression: '/sensor/${deviceName}/request/${methodName}/${requestId}', httpMethod: 'POST' }, 1)
    const { dispatcher, replies, logger } = dispatcherFor({ serverSideRpc: [rule] })
    const report = await dispatcher.onRpc({ device: 'SN-001', data: { id: 13, method: 'no-reply', params: { a: 1 } } })
    expect(report.requests[0]).toMatchObject({ ok: false, attempts: 0, failure: { kind: 'build', code: 500 } })
    expect(report.requests[0]?.failure?.message).toBe(
      'serverSideRpc[1]: requestUrlExpression "/sensor/${deviceName}/request/${methodName}/${requestId}" has no scheme and host',
    )
    expect(replies).toEqual([])
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('has no scheme and host'))).toBe(true)
  })

  it('31: a relative URL on a rule with responseTimeout → error reply code 500', async () => {
    const rule = rpcRule({ requestUrlExpression: 'sensor/${deviceName}', responseTimeout: 1 })
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rule] })
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 3, method: 'x' } })
    expect(replies).toEqual([
      { device: 'SN-001', id: 3, data: { error: 'serverSideRpc[0]: requestUrlExpression "sensor/${deviceName}" has no scheme and host', code: 500 } },
    ])
  })

  it('32: setTemp for "Boiler 1" → POST /set/kitchen?restId=14, JSON body; reply with the server JSON', async () => {
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [ECHO(echo.url), NO_REPLY(echo.url), SET_TEMP(echo.url)] })
    await dispatcher.onRpc({ device: 'Boiler 1', data: { id: 14, method: 'setTemp', params: { zone: 'kitchen', value: 21.5 } } })
    expect(echo.received).toEqual([expect.objectContaining({ method: 'POST', url: '/set/kitchen?restId=14', body: '{"target": 21.5, "zone": "kitchen"}' })])
    expect(replies).toEqual([
      { device: 'Boiler 1', id: 14, data: { result: { echo: '{"target": 21.5, "zone": "kitchen"}', path: '/set/kitchen?restId=14', method: 'POST' } } },
    ])
  })

  it('33: a text/plain answer is replied as text: {"result": "plain ok"}', async () => {
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rpcRule({ requestUrlExpression: `${echo.url}/text`, responseTimeout: 1 })] })
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 15, method: 'read' } })
    expect(replies).toEqual([{ device: 'SN-001', id: 15, data: { result: 'plain ok' } }])
  })

  it('34: 404 → {"error": "Not Found: <body excerpt>", "code": 404}, not retried', async () => {
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rpcRule({ requestUrlExpression: `${echo.url}/missing`, responseTimeout: 1, tries: 3 })] })
    const report = await dispatcher.onRpc({ device: 'SN-001', data: { id: 16, method: 'm' } })
    expect(replies).toEqual([{ device: 'SN-001', id: 16, data: { error: 'Not Found: no such thing here', code: 404 } }])
    expect(report.requests[0]?.attempts).toBe(1)
    expect(echo.received).toHaveLength(1)
  })

  it('34: a target slower than timeout → {"error": "timeout after 0.2s", "code": 408}', async () => {
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [rpcRule({ requestUrlExpression: `${echo.url}/slow`, timeout: 0.2, tries: 1, responseTimeout: 5 })],
    })
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 17, method: 'm' } })
    expect(replies).toEqual([{ device: 'SN-001', id: 17, data: { error: 'timeout after 0.2s', code: 408 } }])
  })

  it('34: connection refused → {"error": "connection refused to 127.0.0.1:<port>", "code": 502}', async () => {
    const port = await refusedPort()
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [rpcRule({ requestUrlExpression: `http://127.0.0.1:${port}/x`, responseTimeout: 5, tries: 1 })],
    })
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 18, method: 'm' } })
    expect(replies).toEqual([{ device: 'SN-001', id: 18, data: { error: `connection refused to 127.0.0.1:${port}`, code: 502 } }])
  })

  it('35: an unknown method → no HTTP, reply {"error": "no serverSideRpc rule matches ...", "code": 404}', async () => {
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [ECHO(echo.url), NO_REPLY(echo.url)] })
    const report = await dispatcher.onRpc({ device: 'SN-001', data: { id: 19, method: 'unknown' } })
    expect(report).toMatchObject({ handled: false, replied: true })
    expect(replies).toEqual([{ device: 'SN-001', id: 19, data: { error: 'no serverSideRpc rule matches device "SN-001" and method "unknown"', code: 404 } }])
    expect(echo.received).toEqual([])
  })

  it('35: params "hello" with ${params} → sent (as a JSON string under a JSON content type)', async () => {
    const rule = rpcRule({
      httpMethod: 'POST',
      requestUrlExpression: `${echo.url}/p`,
      valueExpression: '${params}',
      httpHeaders: { 'Content-Type': 'application/json' },
      responseTimeout: 1,
    })
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rule] })
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 20, method: 'm', params: 'hello' } })
    expect(echo.received[0]?.body).toBe('"hello"')
    expect(replies[0]?.data).toEqual({ result: { echo: '"hello"', path: '/p', method: 'POST' } })
  })

  it('35: two placeholders in one query → /q?a=x%20y&b=1%262', async () => {
    const rule = rpcRule({ requestUrlExpression: `${echo.url}/q?a=\${params.a}&b=\${params.b}`, responseTimeout: 1 })
    const { dispatcher } = dispatcherFor({ serverSideRpc: [rule] })
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 21, method: 'm', params: { a: 'x y', b: '1&2' } } })
    expect(echo.received[0]?.url).toBe('/q?a=x%20y&b=1%262')
  })

  it('36: reserved get/set, "=" in values kept, JSON headers; a reply always', async () => {
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [ECHO(echo.url)] })
    await dispatcher.onRpc({
      device: 'SN-001',
      data: { id: 22, method: 'get', params: `requestUrlExpression=${echo.url}/light-level?a=1&b=2;value=\${params};` },
    })
    await dispatcher.onRpc({
      device: 'SN-001',
      data: { id: 23, method: 'set', params: `requestUrlExpression=${echo.url}/light-level;value=80;HTTPMethod=POST;` },
    })
    await dispatcher.onRpc({
      device: 'SN-001',
      data: {
        id: 24,
        method: 'set',
        params: `requestUrlExpression=${echo.url}/light-level;httpHeaders={"Content-Type":"application/json"};value={"level": 80};`,
      },
    })
    expect(echo.received.map((r) => [r.method, r.url, r.body, r.headers['content-type']])).toEqual([
      ['GET', '/light-level?a=1&b=2', `requestUrlExpression=${echo.url}/light-level?a=1&b=2;value=\${params};`, undefined],
      ['POST', '/light-level', '80', undefined],
      ['POST', '/light-level', '{"level": 80}', 'application/json'],
    ])
    expect(replies).toEqual([
      {
        device: 'SN-001',
        id: 22,
        data: { result: { echo: `requestUrlExpression=${echo.url}/light-level?a=1&b=2;value=\${params};`, path: '/light-level?a=1&b=2', method: 'GET' } },
      },
      { device: 'SN-001', id: 23, data: { result: { echo: '80', path: '/light-level', method: 'POST' } } },
      { device: 'SN-001', id: 24, data: { result: { echo: '{"level": 80}', path: '/light-level', method: 'POST' } } },
    ])
  })

  it('36: reserved params without requestUrlExpression → error reply 400, no request', async () => {
    const { dispatcher, replies } = dispatcherFor({})
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 25, method: 'get', params: 'value=1;' } })
    expect(replies).toEqual([{ device: 'SN-001', id: 25, data: { error: 'rpc "get" params: requestUrlExpression is missing', code: 400 } }])
  })

  it('37: connector-level rest_get → GET /light and a reply for the id it came with (not a garbage device)', async () => {
    const { dispatcher, replies } = dispatcherFor({})
    await dispatcher.onRpc({ device: 'gateway', data: { id: 25, method: 'rest_get', params: `requestUrlExpression=${echo.url}/light;value=1;` } })
    expect(echo.received).toEqual([expect.objectContaining({ method: 'GET', url: '/light', body: '1' })])
    expect(replies).toEqual([{ device: 'gateway', id: 25, data: { result: { echo: '1', path: '/light', method: 'GET' } } }])
  })

  it('38: an RPC for a device never seen by the gateway is executed and answered (no 5 s re-queue)', async () => {
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [ECHO(echo.url)] })
    await dispatcher.onRpc({ device: 'X', data: { id: 26, method: 'echo', params: {} } })
    expect(replies).toEqual([{ device: 'X', id: 26, data: { result: { echo: '{}', path: '/X', method: 'GET' } } }])
  })

  it('only the first matching rule runs', async () => {
    const first = rpcRule({ methodFilter: 'm.*', requestUrlExpression: `${echo.url}/first`, responseTimeout: 1 })
    const second = rpcRule({ methodFilter: 'mine', requestUrlExpression: `${echo.url}/second`, responseTimeout: 1 }, 1)
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [first, second] })
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'mine' } })
    expect(echo.received.map((r) => r.url)).toEqual(['/first'])
    expect(replies).toHaveLength(1)
  })
})
