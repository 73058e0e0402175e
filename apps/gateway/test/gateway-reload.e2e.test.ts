/**
 * `gateway.reload()` in-process (the CLI tests cover SIGHUP/--watch): downlink rules swap, a
 * connector moves to another port (the new one opens before the old one closes), a rename on the
 * same port, TLS changes reported as needing a restart, and a reload that cannot be built changes
 * nothing at all.
 */
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadGatewayFiles, type LoadedGateway } from '../src/load-config.ts'
import { freePort, startGateway, startSandbox, writeConfigFolder } from './_harness.ts'

const route = (endpoint: string) => ({
  endpoint,
  HTTPMethods: ['POST'],
  converter: { type: 'json', deviceNameExpression: '${name}', deviceTypeExpression: 'sensor', timeseries: [{ type: 'int', key: 'n', value: '${n}' }] },
})

const rpcRule = (port: number, path: string) => ({
  deviceNameFilter: '.*',
  methodFilter: 'go',
  requestUrlExpression: `http://127.0.0.1:${port}${path}`,
  responseTimeout: 2,
  HTTPMethod: 'POST',
  valueExpression: '${params}',
})

const post = (url: string, body: unknown): Promise<number> =>
  fetch(url, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => {
    await r.arrayBuffer()
    return r.status
  })

async function load(file: string): Promise<LoadedGateway> {
  const loaded = await loadGatewayFiles(file)
  if (!loaded.ok) throw new Error(loaded.issues.map((i) => i.message).join('\n'))
  return loaded.value
}

function startTarget(): Promise<{ port: number; paths: string[]; server: Server }> {
  const paths: string[] = []
  const server = createServer((req, res) => {
    paths.push(req.url ?? '')
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ at: req.url })))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, paths, server })))
}

describe('gateway.reload()', { timeout: 60_000 }, () => {
  it('swaps downlink rules, moves a connector to a new port, reports TLS changes', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const target = await startTarget()
    onTestFinished(() => void target.server.close())
    const [port, port2] = [await freePort(), await freePort()]
    const rest = (p: number, rpcPath: string, extra: Record<string, unknown> = {}) => ({
      server: { host: '127.0.0.1', port: p, ...extra },
      mapping: [route('/t')],
      requestsMapping: { serverSideRpc: [rpcRule(target.port, rpcPath)] },
    })
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': rest(port, '/one') } })
    onTestFinished(folder.cleanup)
    const gw = await startGateway(folder.file)
    onTestFinished(gw.stop)
    expect(await sandbox.sendRpc('D', 'go', { a: 1 }, { timeoutMs: 5_000 })).toEqual({ result: { at: '/one' } })

    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify(rest(port, '/two')))
    const swapped = await gw.gateway.reload(await load(folder.file))
    expect(swapped).toEqual({
      applied: ['connector "REST Connector": downlink rules updated (0 attribute update(s), 1 RPC rule(s))'],
      restartNeeded: [],
      failed: [],
    })
    expect(await sandbox.sendRpc('D', 'go', { a: 2 }, { timeoutMs: 5_000 })).toEqual({ result: { at: '/two' } })
    expect(await post(`http://127.0.0.1:${port}/t`, { name: 'A', n: 1 })).toBe(200)

    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify(rest(port2, '/two')))
    const moved = await gw.gateway.reload(await load(folder.file))
    expect(moved.applied).toEqual([`connector "REST Connector": moved from 127.0.0.1:${port} to 127.0.0.1:${port2}`])
    expect(await post(`http://127.0.0.1:${port2}/t`, { name: 'A', n: 2 })).toBe(200)
    await expect(post(`http://127.0.0.1:${port}/t`, { name: 'A', n: 3 })).rejects.toThrow()

    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify({ ...rest(port2, '/two', { SSL: true }), mapping: [route('/t'), route('/u')] }))
    const tls = await gw.gateway.reload(await load(folder.file))
    expect(tls.restartNeeded).toEqual(['connector "REST Connector": server.ssl changed: restart restgate to apply it'])
    expect(tls.applied).toEqual(['connector "REST Connector": uplink mapping updated (2 endpoint(s), 0 attribute request(s))'])
    // still plain HTTP, with the new mapping
    expect(await post(`http://127.0.0.1:${port2}/u`, { name: 'A', n: 4 })).toBe(200)
    await sandbox.waitFor((s) => s.devices.get('A')?.telemetry.length === 3)
    expect(target.paths).toEqual(['/one', '/two'])
  })

  it('a rename on the same port closes the old server, then the new one listens there', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const port = await freePort()
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': { server: { host: '127.0.0.1', port }, mapping: [route('/t')] } } })
    onTestFinished(folder.cleanup)
    const gw = await startGateway(folder.file)
    onTestFinished(gw.stop)
    const tb = JSON.parse(await (await import('node:fs/promises')).readFile(folder.file, 'utf8')) as { connectors: Array<{ name: string }> }
    tb.connectors[0]!.name = 'Renamed'
    writeFileSync(folder.file, JSON.stringify(tb))
    const report = await gw.gateway.reload(await load(folder.file))
    expect(report.applied).toEqual(['connector "Renamed" added (1 endpoint(s) at 127.0.0.1:' + port + ')', 'connector "REST Connector" removed'])
    expect(report.failed).toEqual([])
    expect(await post(`http://127.0.0.1:${port}/t`, { name: 'R', n: 1 })).toBe(200)
    await sandbox.waitFor((s) => s.devices.get('R')?.telemetry.length === 1)
  })

  it('a reload that cannot be built changes nothing', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const [port, taken] = [await freePort(), await freePort()]
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve))
    onTestFinished(() => void blocker.close())
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': { server: { host: '127.0.0.1', port }, mapping: [route('/t')] } } })
    onTestFinished(folder.cleanup)
    const gw = await startGateway(folder.file)
    onTestFinished(gw.stop)
    // a new mapping for the first connector and a second connector on a port another process holds
    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify({ server: { host: '127.0.0.1', port }, mapping: [route('/u')] }))
    writeFileSync(join(folder.dir, 'rest2.json'), JSON.stringify({ server: { host: '127.0.0.1', port: taken }, mapping: [route('/v')] }))
    const tb = JSON.parse(await (await import('node:fs/promises')).readFile(folder.file, 'utf8')) as { connectors: unknown[] }
    tb.connectors.push({ type: 'rest', name: 'Second', configuration: 'rest2.json' })
    writeFileSync(folder.file, JSON.stringify(tb))
    await expect(gw.gateway.reload(await load(folder.file))).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' })
    expect(await post(`http://127.0.0.1:${port}/t`, { name: 'K', n: 1 })).toBe(200)
    expect(await post(`http://127.0.0.1:${port}/u`, { name: 'K', n: 2 })).toBe(404)
    // once the port is free the same reload applies
    await new Promise((resolve) => blocker.close(resolve))
    const report = await gw.gateway.reload(await load(folder.file))
    expect(report.applied).toHaveLength(2)
    expect(await post(`http://127.0.0.1:${taken}/v`, { name: 'K', n: 3 })).toBe(200)
    expect(await post(`http://127.0.0.1:${port}/u`, { name: 'K', n: 4 })).toBe(200)
    await sandbox.waitFor((s) => s.devices.get('K')?.telemetry.length === 3)
  })
})
