/**
 * Issue 10: the switch for the open fetches, through the composed gateway and the sandbox:
 * reserved get/set of devices (rest.json `reservedRpc`) and rest_get/rest_set of the gateway device
 * (tb_gateway.json `restRpc`): allowed, refused (not on the list) and disabled. Also: only the
 * configured headers reach the target.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startGateway, startSandbox, writeConfigFolder, type RunningGateway } from './_harness.ts'

interface Hit {
  url: string
  headers: IncomingMessage['headers']
}

function startTarget(): Promise<{ server: Server; url: string; hits: Hit[] }> {
  const hits: Hit[] = []
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      hits.push({ url: req.url ?? '', headers: req.headers })
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }))
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits })),
  )
}

describe.each([
  { name: 'limited to prefixes', reservedRpc: (t: string) => ({ allow: [`${t}/dev/`] }), restRpc: (t: string) => ({ allow: [`${t}/gw/`] }) },
  { name: 'disabled', reservedRpc: () => ({ enabled: false }), restRpc: () => ({ enabled: false }) },
])('reserved get/set and rest_get/rest_set $name', ({ name, reservedRpc, restRpc }) => {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>
  let gw: RunningGateway
  let target: Awaited<ReturnType<typeof startTarget>>
  let folder: ReturnType<typeof writeConfigFolder>

  beforeAll(async () => {
    sandbox = await startSandbox()
    target = await startTarget()
    folder = writeConfigFolder({
      brokerPort: sandbox.port,
      extensions: false,
      gateway: { restRpc: restRpc(target.url) },
      connectors: {
        'rest.json': {
          server: { host: '127.0.0.1', port: await freePort() },
          reservedRpc: reservedRpc(target.url),
          serverSideRpc: [
            {
              methodFilter: 'hdr',
              requestUrlExpression: `${target.url}/dev/hdr`,
              httpHeaders: { 'X-Device': '${deviceName}', 'Content-Type': 'text/plain' },
              valueExpression: 'v',
              HTTPMethod: 'POST',
              responseTimeout: 5,
            },
          ],
        },
      },
    })
    gw = await startGateway(folder.file)
  })
  afterAll(async () => {
    await gw?.stop()
    await sandbox?.stop()
    target?.server.close()
    folder?.cleanup()
  })

  const get = (url: string) => `requestUrlExpression=${url};value=1;`

  it('devices: reserved get', async () => {
    const allowed = await sandbox.sendRpc('SN-1', 'get', get(`${target.url}/dev/a`), { timeoutMs: 5_000 })
    const refused = await sandbox.sendRpc('SN-1', 'get', get(`${target.url}/other`), { timeoutMs: 5_000 })
    if (name === 'disabled') {
      expect(allowed).toMatchObject({ code: 403, error: expect.stringContaining('reservedRpc.enabled (rest.json)') })
      expect(target.hits.filter((h) => h.url === '/dev/a')).toHaveLength(0)
    } else {
      expect(allowed).toEqual({ result: { path: '/dev/a' } })
    }
    expect(refused).toMatchObject({ code: 403, error: expect.stringContaining(name === 'disabled' ? 'reservedRpc.enabled' : 'reservedRpc.allow (rest.json)') })
    expect(target.hits.filter((h) => h.url === '/other')).toHaveLength(0)
  })

  it('the gateway device: rest_get', async () => {
    const allowed = await sandbox.sendGatewayRpc('rest_get', get(`${target.url}/gw/b`), { timeoutMs: 5_000 })
    const refused = await sandbox.sendGatewayRpc('rest_get', get(`${target.url}/dev/a-from-gw`), { timeoutMs: 5_000 })
    if (name === 'disabled') expect(allowed).toMatchObject({ code: 403, error: expect.stringContaining('restRpc.enabled (tb_gateway.json)') })
    else expect(allowed).toEqual({ result: { path: '/gw/b' } })
    // the connector's reservedRpc does not govern the gateway device: its own restRpc does
    expect(refused).toMatchObject({ code: 403, error: expect.stringContaining(name === 'disabled' ? 'restRpc.enabled' : 'restRpc.allow (tb_gateway.json)') })
    expect(target.hits.filter((h) => h.url === '/dev/a-from-gw')).toHaveLength(0)
  })

  it("a rule sends exactly its configured headers plus HTTP's own", async () => {
    expect(await sandbox.sendRpc('SN-7', 'hdr', {}, { timeoutMs: 5_000 })).toEqual({ result: { path: '/dev/hdr' } })
    const hit = target.hits.find((h) => h.url === '/dev/hdr')
    expect(Object.keys(hit?.headers ?? {}).toSorted()).toEqual(['connection', 'content-length', 'content-type', 'host', 'x-device'])
    expect(hit?.headers['x-device']).toBe('SN-7')
  })
})
