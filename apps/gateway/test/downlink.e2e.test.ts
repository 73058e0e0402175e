/**
 * Downlink end to end: the sandbox plays ThingsBoard (shared-attribute updates, RPC, attribute
 * requests), the real gateway runs the original's shipped rest.json, and real HTTP targets on
 * 127.0.0.1 record what arrives.
 */
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { DispatcherStats } from '@restgate/dispatcher'
import type { Sandbox } from '@restgate/sandbox'
import { freePort, repoRoot, startGateway, startSandbox, writeConfigFolder, type RunningGateway } from './_harness.ts'

interface Hit {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** The docs' Flask test server, as a Node server: records every request, answers per path. */
function startTarget(): Promise<{ server: Server; port: number; hits: Hit[] }> {
  const hits: Hit[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      if (req.url === '/slow') return // never answers
      if (req.url?.startsWith('/text')) return res.writeHead(200, { 'content-type': 'text/plain' }).end('plain ok')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, echo: body }))
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, hits })))
}

/** The original gateway's shipped rest.json, pointed at our ports (its /anon2 names a Python-only converter). */
function originalConfig(gatewayPort: number, targetPort: number): Record<string, unknown> {
  const text = readFileSync(join(repoRoot, 'packages/config/test/fixtures/original-rest.json'), 'utf8')
    .replaceAll('127.0.0.1:5001', `127.0.0.1:${targetPort}`)
    .replaceAll('127.0.0.1:5000', `127.0.0.1:${gatewayPort}`)
  const config = JSON.parse(text) as { server: Record<string, unknown>; mapping: Array<{ endpoint: string }>; requestsMapping: { serverSideRpc: unknown[] } }
  config.server = { host: '127.0.0.1', port: String(gatewayPort), SSL: false }
  config.mapping = config.mapping.filter((m) => m.endpoint !== '/anon2')
  // The shipped echo rule's 1 s deadline covers 100 concurrent round trips only on an idle machine;
  // these tests are about routing and ids, not that deadline (the slow rule below tests deadlines).
  for (const rule of config.requestsMapping.serverSideRpc as Array<{ methodFilter?: string; responseTimeout?: number }>) {
    if (rule.methodFilter === 'echo') rule.responseTimeout = 15
  }
  config.mapping.push({
    endpoint: '/rr',
    HTTPMethods: ['POST'],
    response: { responseExpected: true, timeout: 2, responseAttribute: 'result', unsuccessfulResponse: 'TIMEOUT' },
    converter: {
      type: 'json',
      deviceInfo: { deviceNameExpression: '${name}', deviceProfileExpression: 'rr', deviceProfileExpressionSource: 'constant' },
      timeseries: [{ type: 'int', key: 't', value: '${t}' }],
    },
  } as never)
  config.requestsMapping.serverSideRpc.push(
    {
      deviceNameFilter: '.*',
      methodFilter: 'text',
      requestUrlExpression: `http://127.0.0.1:${targetPort}/text/\${deviceName}`,
      responseTimeout: 2,
      HTTPMethod: 'POST',
      valueExpression: '${params}',
    },
    {
      deviceNameFilter: '.*',
      methodFilter: 'slow',
      requestUrlExpression: `http://127.0.0.1:${targetPort}/slow`,
      responseTimeout: 1,
      timeout: 0.3,
      tries: 2,
      HTTPMethod: 'POST',
      valueExpression: '${params}',
    },
  )
  return config
}

describe('downlink on the original shipped rest.json', () => {
  let sandbox: Sandbox & { port: number }
  let gw: RunningGateway
  let target: Awaited<ReturnType<typeof startTarget>>
  let folder: ReturnType<typeof writeConfigFolder>
  let base: string

  beforeAll(async () => {
    sandbox = await startSandbox()
    target = await startTarget()
    const port = await freePort()
    folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': originalConfig(port, target.port) } })
    gw = await startGateway(folder.file)
    base = gw.urls[0]!
  })
  afterAll(async () => {
    await gw?.stop()
    await sandbox?.stop()
    target?.server.close()
    folder?.cleanup()
  })

  it("a shared-attribute update reaches the docs' test server as JSON, one request per key", async () => {
    await sandbox.sendAttributeUpdate('SN-001', { FirmwareVersion: 1.1, mode: 'eco "quoted"/1' })
    // one request per key: exactly these two bodies (a try that took longer than the rule's 0.5 s
    // timeout on a loaded machine is sent again: the same body twice)
    const distinct = (): unknown[] => [...new Set(target.hits.filter((h) => h.url === '/').map((h) => h.body))].map((b) => JSON.parse(b) as unknown)
    await expect.poll(() => distinct().length).toBeGreaterThanOrEqual(2)
    expect(distinct()).toEqual(
      expect.arrayContaining([
        { deviceName: 'SN-001', FirmwareVersion: '1.1' },
        { deviceName: 'SN-001', mode: 'eco "quoted"/1' },
      ]),
    )
    expect(distinct()).toHaveLength(2)
    expect(target.hits.find((h) => h.url === '/')!.headers['content-type']).toMatch(/application\/json/)
    // XX devices match no rule: nothing is sent. Waited for as an event: the dispatcher has taken the
    // update and has nothing active, queued or in flight (a request it made would be counted there)
    const dispatcher = (): DispatcherStats => gw.gateway.stats().connectors[0]!.dispatcher
    const idle = (s: DispatcherStats): number => s.activeMessages + s.queuedMessages + s.inFlight + s.waiting
    await vi.waitFor(() => expect(idle(dispatcher())).toBe(0), { timeout: 15_000 })
    const before = dispatcher()
    await sandbox.sendAttributeUpdate('XX-1', { a: 1 })
    await vi.waitFor(
      () => {
        const s = dispatcher()
        expect(s.attributeUpdates).toBe(before.attributeUpdates + 1)
        expect(idle(s)).toBe(0)
      },
      { timeout: 15_000 },
    )
    expect(dispatcher().requests).toBe(before.requests)
    // (not a count of hits: under load a slow first request may be tried again, a second hit)
    expect(target.hits.filter((h) => h.body.includes('XX-1'))).toEqual([])
  })

  it('echo RPC: GET to the device URL with the params as its body (original case 30), the JSON answer comes back as the result', async () => {
    const reply = await sandbox.sendRpc('SN 001/é', 'echo', { x: 1, flag: true }, { timeoutMs: 5_000 })
    expect(reply).toEqual({ result: { path: '/SN%20001%2F%C3%A9', echo: '{"x":1,"flag":true}' } })
    expect(target.hits.at(-1)).toMatchObject({ method: 'GET', url: '/SN%20001%2F%C3%A9' })
  })

  it('a text answer is replied as text; an unmatched method gets an error naming device and method', async () => {
    expect(await sandbox.sendRpc('SN-001', 'text', { a: 1 }, { timeoutMs: 5_000 })).toEqual({ result: 'plain ok' })
    const none = await sandbox.sendRpc('SN-001', 'unknown', {}, { timeoutMs: 5_000 })
    expect(none).toEqual({ error: expect.stringMatching(/SN-001.*unknown/), code: 404 })
  })

  it('post_attributes makes the gateway post to its own /my_devices, and the telemetry arrives', async () => {
    const reply = await sandbox.sendRpc(
      'SN-001',
      'post_attributes',
      { sensorModel: 'T3000', certificateNumber: '11112233445', hum: 12, temp: 23 },
      { timeoutMs: 10_000 },
    )
    expect(reply).toMatchObject({ result: { status: 'ok', devices: 1 } })
    const d = await sandbox.waitFor((s) => (s.devices.get('SN-001')?.latest.temperature?.value === 23 ? s.devices.get('SN-001') : undefined))
    expect(d.latest.humidity?.value).toBe(12)
    expect(d.attributes).toMatchObject({ model: 'T3000', certificateNumber: '11112233445' })
  })

  it('no-reply (a URL without host) publishes no reply and logs a clear error', async () => {
    const before = sandbox.messages({ kind: 'rpcReply' }).length
    await expect(sandbox.sendRpc('SN-001', 'no-reply', { a: 1 }, { timeoutMs: 700 })).rejects.toThrow()
    expect(sandbox.messages({ kind: 'rpcReply' })).toHaveLength(before)
  })

  it('a target that never answers times out with a 408 reply while other RPCs complete meanwhile', async () => {
    let slowSettled = false
    const slow = sandbox.sendRpc('SN-001', 'slow', {}, { timeoutMs: 5_000 })
    void slow.then(() => (slowSettled = true))
    const fast = await Promise.all(Array.from({ length: 5 }, (_, i) => sandbox.sendRpc(`SN-${i}`, 'echo', {}, { timeoutMs: 5_000 })))
    // Ordering, not a time window: the others were answered while the slow one still waited for its deadline.
    expect(slowSettled).toBe(false)
    expect(fast.every((r) => (r as { result?: unknown }).result !== undefined)).toBe(true)
    expect(await slow).toEqual({ error: expect.stringMatching(/timeout/i), code: 408 })
  })

  it('100 concurrent RPCs are each answered with their own id', async () => {
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => sandbox.sendRpc(`SN-${i}`, 'echo', { i }, { timeoutMs: 10_000 })))
    // each answer carries its own request's params: no reply went to the wrong RPC
    replies.forEach((r, i) => expect(r).toEqual({ result: { path: `/SN-${i}`, echo: `{"i":${i}}` } }))
  })

  it('attribute request endpoint answers with ThingsBoard’s reply for that device', async () => {
    sandbox.setAttributes('SN-001', { shared: { model: 'T1000', fw: '1.0' } })
    const one = await fetch(`${base}/sharedAttributes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"deviceName":"SN-001","attribute":"model"}',
    })
    expect(one.status).toBe(200)
    expect(await one.json()).toMatchObject({ device: 'SN-001', value: 'T1000' })
    const two = await fetch(`${base}/sharedAttributes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"deviceName":"SN-001","attribute":"model","attribute1":"fw"}',
    })
    expect(await two.json()).toMatchObject({ device: 'SN-001', values: { model: 'T1000', fw: '1.0' } })
    const req = sandbox.messages({ kind: 'attributeRequest' }).at(-1)!
    expect(JSON.parse(req.raw)).toEqual({ id: expect.any(Number), device: 'SN-001', client: false, keys: ['model', 'fw'] })
  })

  it('responseExpected holds the request until an update for THAT device carries the attribute', async () => {
    const held = fetch(`${base}/rr`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"RR","t":1}' })
    await sandbox.waitFor((s) => s.devices.get('RR')?.telemetry.length)
    await sandbox.sendAttributeUpdate('OTHER-DEVICE', { result: 'not yours' })
    await sandbox.sendAttributeUpdate('RR', { result: { ok: true } })
    const res = await held
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
    const timeout = await fetch(`${base}/rr`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"RR2","t":1}' })
    expect(timeout.status).toBe(408)
    expect(await timeout.text()).toBe('TIMEOUT')
  })
})
