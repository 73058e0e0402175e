/** ready/close, custom downlink converters, reply publishing, odd inputs and odd responses. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, DispatcherError } from '../src/index.ts'
import { attributeUpdateRule, connectorConfig, dispatcherFor, recordingLogger, rpcRule, sendJson, startTarget } from './_helpers.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restgate-dispatcher-'))
  await writeFile(
    join(dir, 'to-query.mjs'),
    `export const downlink = (rule, ctx) => ({
       convert(event) {
         const q = new URLSearchParams(event.type === 'rpc' ? { id: String(event.data.id), p: JSON.stringify(event.data.params) } : { [event.key]: String(event.value) })
         return { url: ctx.extensionConfig.base + '?' + q, method: 'POST', body: { device: event.device } }
       },
     })`,
  )
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function makeWithZeroConcurrency(): unknown {
  return createDispatcher({ config: connectorConfig({}), publisher: { replyRpc: () => Promise.resolve() }, maxConcurrencyPerOrigin: 0 })
}

describe('lifecycle', () => {
  it('close() lets requests finish within the grace period', async () => {
    const target = await startTarget((_req, res) => setTimeout(() => sendJson(res, 200, { late: true }), 50))
    const { dispatcher, replies } = dispatcherFor(
      { serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, responseTimeout: 5 })] },
      { closeGraceMs: 5_000 },
    )
    const rpc = dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    await expect.poll(() => target.received.length).toBe(1)
    await dispatcher.close()
    expect((await rpc).replied).toBe(true)
    expect(replies).toEqual([{ device: 'd', id: 1, data: { result: { late: true } } }])
  })

  it('close() aborts what is still running after the grace period (503 reply) and refuses new events', async () => {
    const target = await startTarget(() => undefined)
    const { dispatcher, replies } = dispatcherFor(
      { serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, timeout: 30, responseTimeout: 30 })] },
      { closeGraceMs: 20 },
    )
    const rpc = dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    await expect.poll(() => target.received.length).toBe(1)
    await dispatcher.close()
    expect((await rpc).requests[0]).toMatchObject({ ok: false, failure: { kind: 'closed', code: 503 } })
    expect(replies).toEqual([{ device: 'd', id: 1, data: { error: 'the gateway is shutting down; request aborted', code: 503 } }])
    const late = await dispatcher.onRpc({ device: 'd', data: { id: 2, method: 'm' } }).catch((e: unknown) => e)
    expect(DispatcherError.is(late) && late.code).toBe('DISPATCHER_CLOSED')
    await dispatcher.close() // idempotent
  })

  it('ready() fails with DISPATCHER_RULE when a custom converter cannot be loaded', async () => {
    const rule = rpcRule({ requestUrlExpression: 'http://127.0.0.1:1/', extension: 'MissingConverter' }, 3)
    const { dispatcher } = dispatcherFor({ configDir: dir, serverSideRpc: [rule] })
    const e = await dispatcher.ready().catch((err: unknown) => err)
    expect(DispatcherError.is(e) && e.code).toBe('DISPATCHER_RULE')
    expect((e as DispatcherError).path).toBe('serverSideRpc[3]')
    expect((e as Error).message).toContain('serverSideRpc[3]: cannot prepare the rule: serverSideRpc[3].extension: cannot find extension "MissingConverter"')
    await expect(dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })).rejects.toBe(e)
  })

  it('invalid options are a DISPATCHER_OPTIONS error', () => {
    expect(makeWithZeroConcurrency).toThrow(DispatcherError)
    expect(makeWithZeroConcurrency).toThrow('maxConcurrencyPerOrigin must be a positive number, got 0')
  })
})

describe('custom downlink converters through the dispatcher', () => {
  it('an extension builds the request (attribute update and RPC)', async () => {
    const target = await startTarget((req, res) => sendJson(res, 200, { url: req.url, body: JSON.parse(req.body) as unknown }))
    const extensionConfig = { base: `${target.url}/custom` }
    const { dispatcher, replies } = dispatcherFor({
      configDir: dir,
      attributeUpdates: [attributeUpdateRule({ requestUrlExpression: 'http://unused/', extension: './to-query.mjs', extensionConfig })],
      serverSideRpc: [rpcRule({ requestUrlExpression: 'http://unused/', extension: './to-query.mjs', extensionConfig, responseTimeout: 2 })],
    })
    await dispatcher.ready()
    await dispatcher.onAttributeUpdate({ device: 'SN-1', data: { fw: '1.2' } })
    await dispatcher.onRpc({ device: 'SN-1', data: { id: 3, method: 'm', params: { a: 1 } } })
    expect(target.received.map((r) => [r.method, r.url, r.body, r.headers['content-type']])).toEqual([
      ['POST', '/custom?fw=1.2', '{"device":"SN-1"}', 'application/json'],
      ['POST', '/custom?id=3&p=%7B%22a%22%3A1%7D', '{"device":"SN-1"}', 'application/json'],
    ])
    expect(replies).toEqual([{ device: 'SN-1', id: 3, data: { result: { url: '/custom?id=3&p=%7B%22a%22%3A1%7D', body: { device: 'SN-1' } } } }])
  })
})

describe('inputs and responses', () => {
  it('unicode, quotes and slashes in device names: one URL segment, exact JSON, reply to the same device', async () => {
    const target = await startTarget((req, res) => sendJson(res, 200, { url: req.url, body: JSON.parse(req.body) as unknown }))
    const rule = rpcRule({
      httpMethod: 'POST',
      requestUrlExpression: `${target.url}/dev/\${deviceName}/\${method}`,
      valueExpression: '{"name": "${deviceName}", "raw": ${deviceName}}',
      httpHeaders: { 'Content-Type': 'application/json' },
      responseTimeout: 2,
    })
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rule] })
    const device = 'Ofen "Küche"/1 ✓\\'
    await dispatcher.onRpc({ device, data: { id: 'a/b', method: 'set/x', params: {} } })
    const path = `/dev/${encodeURIComponent(device)}/set%2Fx`
    expect(target.received[0]?.url).toBe(path)
    expect(replies).toEqual([{ device, id: 'a/b', data: { result: { url: path, body: { name: device, raw: device } } } }])
  })

  it('a response over maxResponseBytes is an error (502), not buffered', async () => {
    const target = await startTarget((_req, res) => sendJson(res, 200, { big: 'x'.repeat(5000) }))
    const { dispatcher, replies } = dispatcherFor(
      { serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, responseTimeout: 2 })] },
      { maxResponseBytes: 1024 },
    )
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    expect(replies).toEqual([{ device: 'd', id: 1, data: { error: `response from 127.0.0.1:${target.port} is larger than 1024 bytes`, code: 502 } }])
  })

  it('response bodies: JSON by content type, text, empty, bytes that are not UTF-8 as base64', async () => {
    const target = await startTarget((req, res) => {
      if (req.url === '/json') return sendJson(res, 200, [1, 'two'])
      if (req.url === '/bad-json') {
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end('{not json')
      }
      if (req.url === '/no-type') return res.end('{"n":1}')
      if (req.url === '/empty') {
        res.writeHead(204)
        return res.end()
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.end(Buffer.from([0xff, 0xfe, 0x00]))
    })
    const rule = rpcRule({ requestUrlExpression: `${target.url}/\${params}`, responseTimeout: 2 })
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rule] })
    for (const [id, path] of ['json', 'bad-json', 'no-type', 'empty', 'bytes'].entries())
      await dispatcher.onRpc({ device: 'd', data: { id, method: 'm', params: path } })
    expect(replies.map((r) => r.data)).toEqual([
      { result: [1, 'two'] },
      { result: '{not json' },
      { result: { n: 1 } },
      { result: '' },
      { result: { base64: '//4A' } },
    ])
  })

  it('GET and HEAD carry the rendered body like the original (fetch refuses them: sent through undici core), redirects followed when allowed', async () => {
    const target = await startTarget((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { location: '/new' }).end()
        return
      }
      sendJson(res, 200, { body: req.body, method: req.method, url: req.url })
    })
    const get = rpcRule({ httpMethod: 'GET', requestUrlExpression: `${target.url}/`, valueExpression: '${params}', responseTimeout: 2 })
    const redirected = rpcRule(
      {
        methodFilter: 'moved',
        httpMethod: 'GET',
        requestUrlExpression: `${target.url}/old`,
        valueExpression: '${params}',
        allowRedirects: true,
        responseTimeout: 2,
      },
      1,
    )
    const notFollowed = rpcRule(
      {
        methodFilter: 'stay',
        httpMethod: 'GET',
        requestUrlExpression: `${target.url}/old`,
        valueExpression: '${params}',
        allowRedirects: false,
        responseTimeout: 2,
      },
      2,
    )
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [redirected, notFollowed, get] })
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm', params: 'x' } })
    await dispatcher.onRpc({ device: 'd', data: { id: 2, method: 'moved', params: 'y' } })
    await dispatcher.onRpc({ device: 'd', data: { id: 3, method: 'stay', params: 'z' } })
    expect(replies.map((r) => r.data)).toEqual([
      { result: { body: 'x', method: 'GET', url: '/' } },
      // undici's redirect keeps a GET's method and body on 302
      { result: { body: 'y', method: 'GET', url: '/new' } },
      { error: '302 Found: redirect to /new not followed (allowRedirects is false)', code: 302 },
    ])
    expect(target.received.map((r) => [r.method, r.url, r.body])).toEqual([
      ['GET', '/', 'x'],
      ['GET', '/old', 'y'],
      ['GET', '/new', 'y'],
      ['GET', '/old', 'z'],
    ])
  })

  it('a failing publisher is logged and counted; the report says not replied', async () => {
    const target = await startTarget((_req, res) => sendJson(res, 200, {}))
    const logger = recordingLogger()
    const dispatcher = createDispatcher({
      config: connectorConfig({ serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, responseTimeout: 2 })] }),
      publisher: { replyRpc: () => Promise.reject(new Error('not connected')) },
      logger,
    })
    try {
      const report = await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
      expect(report).toMatchObject({ handled: true, replied: false, reply: { result: {} } })
      expect(dispatcher.stats()).toMatchObject({ replies: 0, replyFailures: 1 })
      expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['RPC reply for "d" id 1 could not be published: not connected'])
    } finally {
      await dispatcher.close()
    }
  })

  it('an RPC without a method gets a 400 reply', async () => {
    const { dispatcher, replies } = dispatcherFor({})
    await dispatcher.onRpc({ device: 'd', data: { id: 1 } as never })
    expect(replies).toEqual([{ device: 'd', id: 1, data: { error: 'RPC without a method', code: 400 } }])
  })

  it('HEAD requests work (no body either way)', async () => {
    const target = await startTarget((_req, res) => {
      res.writeHead(200, { 'x-ok': '1' })
      res.end()
    })
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [rpcRule({ httpMethod: 'HEAD', requestUrlExpression: `${target.url}/`, valueExpression: 'x', responseTimeout: 2 })],
    })
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    expect(replies).toEqual([{ device: 'd', id: 1, data: { result: '' } }])
    expect(target.received[0]?.method).toBe('HEAD')
  })
})
