/**
 * RPCs to the gateway device itself, end to end: the sandbox plays ThingsBoard and publishes
 * `v1/devices/me/rpc/request/{id}`, the real gateway runs, a real HTTP server on 127.0.0.1 is the
 * target of `rest_get` / `rest_set`, and the answer comes back on `v1/devices/me/rpc/response/{id}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '@restgate/sandbox'
import { freePort, startGateway, startSandbox, writeConfigFolder, type RunningGateway } from './_harness.ts'

interface Hit {
  method: string
  url: string
  body: string
}

function startTarget(): Promise<{ server: Server; url: string; hits: Hit[] }> {
  const hits: Hit[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      hits.push({ method: req.method ?? '', url: req.url ?? '', body })
      if (req.url === '/missing') return res.writeHead(404, { 'content-type': 'text/plain' }).end('no such thing')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, path: req.url, body }))
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits })),
  )
}

const mapping = {
  endpoint: '/t',
  HTTPMethods: ['POST'],
  converter: { type: 'json', deviceNameExpression: '${name}', deviceTypeExpression: 'sensor', timeseries: [{ type: 'int', key: 'n', value: '${n}' }] },
}

describe('RPC to the gateway device (v1/devices/me/rpc/request/{id})', () => {
  let sandbox: Sandbox & { port: number }
  let gw: RunningGateway
  let target: Awaited<ReturnType<typeof startTarget>>
  let folder: ReturnType<typeof writeConfigFolder>

  beforeAll(async () => {
    sandbox = await startSandbox()
    target = await startTarget()
    folder = writeConfigFolder({
      brokerPort: sandbox.port,
      connectors: { 'rest.json': { host: '127.0.0.1', port: await freePort(), mapping: [mapping] } },
      extensions: false,
    })
    gw = await startGateway(folder.file)
  })
  afterAll(async () => {
    await gw?.stop()
    await sandbox?.stop()
    target?.server.close()
    folder?.cleanup()
  })

  /** The id of the last gateway RPC the sandbox sent, and the topic of the gateway's answer to it. */
  function lastExchange(): { requestTopic: string; replyTopics: string[] } {
    const request = sandbox.messages({ kind: 'gatewayRpcRequest' }).at(-1)!
    const id = request.topic.slice('v1/devices/me/rpc/request/'.length)
    const replies = sandbox.messages({ kind: 'gatewayRpcReply' }).filter((m) => m.topic === `v1/devices/me/rpc/response/${id}`)
    return { requestTopic: request.topic, replyTopics: replies.map((m) => m.topic) }
  }

  it('rest_get: the target gets the GET with the value as its body (as the original sends it), the result comes back on v1/devices/me/rpc/response/{id}', async () => {
    const reply = await sandbox.sendGatewayRpc('rest_get', `requestUrlExpression=${target.url}/light;value=1;`, { timeoutMs: 5_000 })
    expect(target.hits).toEqual([{ method: 'GET', url: '/light', body: '1' }])
    expect(reply).toEqual({ result: { method: 'GET', path: '/light', body: '1' } })
    const { requestTopic, replyTopics } = lastExchange()
    expect(replyTopics).toEqual([requestTopic.replace('/request/', '/response/')])
    // the device RPC path was not used
    expect(sandbox.messages({ kind: 'rpcReply' })).toEqual([])
  })

  it('rest_set with HTTPMethod=POST sends the value as the body; a failing target is answered with its status', async () => {
    const set = await sandbox.sendGatewayRpc('rest_set', `requestUrlExpression=${target.url}/light-level;value=80;HTTPMethod=POST;`, { timeoutMs: 5_000 })
    expect(target.hits.at(-1)).toEqual({ method: 'POST', url: '/light-level', body: '80' })
    expect(set).toEqual({ result: { method: 'POST', path: '/light-level', body: '80' } })
    const missing = await sandbox.sendGatewayRpc('rest_get', `requestUrlExpression=${target.url}/missing;value=1;`, { timeoutMs: 5_000 })
    expect(missing).toEqual({ error: expect.any(String), code: 404 })
  })

  it('rest_get without requestUrlExpression gets an error reply, no request is made', async () => {
    const before = target.hits.length
    const reply = await sandbox.sendGatewayRpc('rest_get', 'value=1;', { timeoutMs: 5_000 })
    expect(reply).toEqual({ error: expect.stringMatching(/requestUrlExpression/), code: 400 })
    expect(target.hits).toHaveLength(before)
  })

  it('gateway_ping → pong', async () => {
    expect(await sandbox.sendGatewayRpc('gateway_ping', {}, { timeoutMs: 5_000 })).toEqual({ code: 200, resp: 'pong' })
  })

  it('methods no connector handles get a 404 error reply naming the method', async () => {
    expect(await sandbox.sendGatewayRpc('modbus_x', {}, { timeoutMs: 5_000 })).toEqual({
      error: expect.stringMatching(/no connector handles the gateway RPC method "modbus_x"/),
      code: 404,
    })
    expect(await sandbox.sendGatewayRpc('rest_reboot', {}, { timeoutMs: 5_000 })).toEqual({
      error: expect.stringMatching(/no RPC method "rest_reboot".*rest_get and rest_set/),
      code: 404,
    })
    expect(await sandbox.sendGatewayRpc('restart', {}, { timeoutMs: 5_000 })).toEqual({ error: expect.stringMatching(/"restart"/), code: 404 })
  })

  it('every gateway RPC got exactly one reply; the gateway never answered its own getSessionLimits request', () => {
    const requests = sandbox.messages({ kind: 'gatewayRpcRequest' }).map((m) => m.topic.replace('/request/', '/response/'))
    const replies = sandbox.messages({ kind: 'gatewayRpcReply' }).map((m) => m.topic)
    expect(replies.toSorted()).toEqual(requests.toSorted())
    expect(sandbox.state.unmatchedRpcReplies).toBe(0)
    expect(sandbox.messages({ kind: 'sessionLimitsRequest' })).toHaveLength(1)
  })
})
