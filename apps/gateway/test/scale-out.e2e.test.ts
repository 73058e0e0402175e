/**
 * Scale-out end to end: three real restgate CLI processes (sqlite storage), each its own gateway
 * (own token via TB_GW_ACCESS_TOKEN), behind a real HAProxy rendered from deploy/haproxy, with the
 * sandbox as a ThingsBoard that routes a device's downlink to the gateway that connected it last
 * and delivers nothing for a device no gateway owns (`unownedDownlink: 'none'`: nothing by luck).
 * Clients post from several loopback source addresses (127.0.0.x) so source stickiness is used.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createConnection, createServer, type Server as NetServer, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Sandbox } from '@restgate/sandbox'
import { haproxyMissing, httpPost, renderHaproxyConfig, startHaproxy, type RunningHaproxy } from './_haproxy.ts'
import { freePort, repoRoot, runCli, startSandbox, writeConfigFolder, type CliProcess } from './_harness.ts'

const missing = haproxyMissing()
if (missing) console.warn(`scale-out tests skipped: ${missing}`)

const TOKENS = ['gw-1', 'gw-2', 'gw-3']
const CHECK_INTER = '200ms'

interface Hit {
  url: string
  instance: string
  body: string
}

/** The devices' HTTP side: records each downlink request with the instance that sent it (x-instance header). */
function startTarget(): Promise<{ server: Server; port: number; hits: Hit[] }> {
  const hits: Hit[] = []
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      const instance = String(req.headers['x-instance'] ?? '')
      hits.push({ url: req.url ?? '', instance, body })
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ instance, url: req.url }))
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, hits })))
}

/** rest.json of one instance: data, a responseExpected endpoint, attribute requests, downlink tagged with the instance. */
function restConfig(port: number, targetPort: number, instance: string): Record<string, unknown> {
  const converter = {
    type: 'json',
    deviceInfo: { deviceNameExpression: '${name}', deviceProfileExpression: 'sensor', deviceProfileExpressionSource: 'constant' },
    timeseries: [{ type: 'int', key: 'seq', value: '${seq}' }],
  }
  const headers = { 'Content-Type': 'application/json', 'x-instance': instance }
  return {
    server: { host: '127.0.0.1', port: String(port), SSL: false },
    mapping: [
      { endpoint: '/data', HTTPMethods: ['POST'], converter },
      {
        endpoint: '/wait',
        HTTPMethods: ['POST'],
        response: { responseExpected: true, timeout: 10, responseAttribute: 'answer', unsuccessfulResponse: 'TIMEOUT' },
        converter,
      },
    ],
    requestsMapping: {
      attributeRequests: [
        { endpoint: '/attrs', type: 'shared', HTTPMethods: ['POST'], timeout: 10, deviceNameExpression: '${name}', attributeNameExpression: '${key}' },
      ],
      attributeUpdates: [
        {
          HTTPMethod: 'POST',
          httpHeaders: headers,
          timeout: 5,
          tries: 1,
          deviceNameFilter: '.*',
          attributeFilter: 'fw',
          requestUrlExpression: `http://127.0.0.1:${targetPort}/attr/\${deviceName}`,
          valueExpression: '${attributeValue}',
        },
      ],
      serverSideRpc: [
        {
          deviceNameFilter: '.*',
          methodFilter: 'where',
          requestUrlExpression: `http://127.0.0.1:${targetPort}/rpc/\${deviceName}`,
          responseTimeout: 5,
          HTTPMethod: 'POST',
          valueExpression: '${params}',
          timeout: 5,
          tries: 1,
          httpHeaders: headers,
        },
      ],
    },
  }
}

/** A TCP relay to the sandbox whose current connections can be frozen (nothing passes, nothing is acknowledged). */
async function startRelay(targetPort: number): Promise<{ port: number; freeze(): void; thaw(): void; close(): void }> {
  const pairs = new Set<[Socket, Socket]>()
  let frozen = false
  const server: NetServer = createServer((inbound) => {
    const outbound = createConnection(targetPort, '127.0.0.1')
    const pair: [Socket, Socket] = [inbound, outbound]
    pairs.add(pair)
    inbound.pipe(outbound)
    outbound.pipe(inbound)
    const close = (): void => {
      pairs.delete(pair)
      inbound.destroy()
      outbound.destroy()
    }
    inbound.on('error', close).on('close', close)
    outbound.on('error', close).on('close', close)
    if (frozen) inbound.pause()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (server.address() as { port: number }).port,
    freeze() {
      frozen = true
      for (const [inbound] of pairs) {
        inbound.unpipe()
        inbound.pause()
      }
    },
    thaw() {
      frozen = false
    },
    close() {
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
      server.close()
    },
  }
}

const ready = (cli: CliProcess): Promise<unknown> => cli.waitForOutput(/connected to ThingsBoard/, 60_000)

interface Instance {
  token: string
  port: number
  cli: CliProcess
  folder: ReturnType<typeof writeConfigFolder>
}

describe.skipIf(missing !== undefined)('several restgate instances behind HAProxy', () => {
  let sandbox: Sandbox & { port: number }
  let target: Awaited<ReturnType<typeof startTarget>>
  let relay: Awaited<ReturnType<typeof startRelay>>
  let haproxy: RunningHaproxy
  let lbPort: number
  const instances: Instance[] = []

  function startInstance(i: number): CliProcess {
    const inst = instances[i]!
    return runCli(['--config', inst.folder.file, '--log-level', 'info'], { TB_GW_ACCESS_TOKEN: inst.token })
  }
  /** The instance (token) that owns a device now. */
  const ownerToken = (device: string): string | undefined => sandbox.ownerOf(device)?.token
  const seqsOf = (device: string): Set<number> => new Set(sandbox.state.devices.get(device)?.telemetry.map((t) => t.values.seq as number) ?? [])
  const post = (path: string, body: unknown, from: string): Promise<{ status: number; body: string }> => httpPost(lbPort, path, JSON.stringify(body), { from })

  beforeAll(async () => {
    sandbox = await startSandbox({ accessToken: TOKENS, unownedDownlink: 'none' })
    target = await startTarget()
    relay = await startRelay(sandbox.port)
    for (const [i, token] of TOKENS.entries()) {
      const port = await freePort()
      // instance 0 reaches ThingsBoard through the relay, so the failover test can hold its outbox
      const folder = writeConfigFolder({
        brokerPort: i === 0 ? relay.port : sandbox.port,
        connectors: { 'rest.json': restConfig(port, target.port, token) },
        storage: { type: 'sqlite', data_file_path: './data/' },
        extensions: false,
      })
      instances.push({ token, port, folder, cli: undefined as unknown as CliProcess })
    }
    for (const [i, inst] of instances.entries()) inst.cli = startInstance(i)
    await Promise.all(instances.map((inst) => ready(inst.cli)))
    await sandbox.waitFor((s) => s.clients.size === 3, 30_000)
    lbPort = await freePort()
    haproxy = await startHaproxy(
      instances[0]!.folder.dir,
      renderHaproxyConfig(repoRoot, {
        bind: `127.0.0.1:${lbPort}`,
        inter: CHECK_INTER,
        servers: instances.map((inst, i) => ({ name: `rg${i + 1}`, port: inst.port })),
      }),
    )
    await vi.waitFor(async () => expect((await httpPost(lbPort, '/nothing', '{}')).status).toBe(404), { timeout: 10_000, interval: 100 })
  }, 90_000)

  afterAll(async () => {
    await haproxy?.stop()
    for (const inst of instances) {
      if (inst.cli && inst.cli.child.exitCode === null) inst.cli.child.kill('SIGTERM')
      await inst.cli?.exited
      inst.folder.cleanup()
    }
    relay?.close()
    await sandbox?.stop()
    target?.server.close()
  }, 30_000)

  it('every device’s data arrives through one instance (source-sticky), and its RPC and attribute update reach its HTTP target through its owner', async () => {
    const devices = Array.from({ length: 12 }, (_, i) => ({ name: `D-${i}`, from: `127.0.0.${2 + i}` }))
    for (let seq = 1; seq <= 3; seq++) {
      const replies = await Promise.all(devices.map((d) => post('/data', { name: d.name, seq }, d.from)))
      expect(replies.map((r) => r.status)).toEqual(devices.map(() => 200))
    }
    await sandbox.waitFor((s) => devices.every((d) => s.devices.get(d.name)?.telemetry.length === 3), 15_000)
    const owners = new Map<string, string>()
    for (const d of devices) {
      const publishers = new Set(sandbox.messages({ kind: 'telemetry', device: d.name }).map((m) => m.clientId))
      expect(publishers.size).toBe(1) // sticky: one instance carried all of this device's data
      expect(sandbox.ownerOf(d.name)?.clientId).toBe([...publishers][0])
      owners.set(d.name, ownerToken(d.name)!)
    }
    expect(new Set(owners.values()).size).toBeGreaterThan(1) // the balancer spread the devices

    const rpcs = await Promise.all(devices.map((d) => sandbox.sendRpc(d.name, 'where', { d: d.name }, { timeoutMs: 10_000 })))
    rpcs.forEach((r, i) => expect(r).toEqual({ result: { instance: owners.get(devices[i]!.name), url: `/rpc/${devices[i]!.name}` } }))
    for (const d of devices) await sandbox.sendAttributeUpdate(d.name, { fw: '2.0' })
    await expect.poll(() => target.hits.filter((h) => h.url.startsWith('/attr/')).length, { timeout: 10_000 }).toBe(devices.length)
    for (const hit of target.hits.filter((h) => h.url.startsWith('/attr/'))) {
      expect(hit.instance).toBe(owners.get(hit.url.slice('/attr/'.length)))
    }
  }, 30_000)

  it('responseExpected and attribute requests are answered whichever instance the device reaches (re-announce)', async () => {
    sandbox.setAttributes('roam', { shared: { mode: 'eco' } })
    const handledBy = new Set<string>()
    // one device posting from changing addresses: its requests land on different instances
    for (let i = 0; i < 6; i++) {
      const from = `127.0.0.${2 + i}`
      const connects = sandbox.messages({ kind: 'connect', device: 'roam' }).length
      const held = post('/wait', { name: 'roam', seq: i }, from)
      // ThingsBoard answers after the device was (re)announced: the update goes to the device's owner only
      await sandbox.waitFor((s) => s.messageCount > 0 && sandbox.messages({ kind: 'connect', device: 'roam' }).length > connects, 10_000)
      const owner = sandbox.ownerOf('roam')
      handledBy.add(owner!.token!)
      await sandbox.sendAttributeUpdate('roam', { answer: { i } })
      const reply = await held
      expect(reply).toEqual({ status: 200, body: JSON.stringify({ i }) })
      const asked = await post('/attrs', { name: 'roam', key: 'mode' }, from)
      expect(asked.status).toBe(200)
      expect(JSON.parse(asked.body)).toMatchObject({ device: 'roam', value: 'eco' })
    }
    expect(handledBy.size).toBeGreaterThan(1)
  }, 30_000)

  it('kill -9 of an instance under load: traffic moves within the health check, nothing answered 200 is lost, the outbox is delivered after restart', async () => {
    const victim = instances[0]!
    // devices on several source addresses; a device posts its seq numbers one after another and
    // retries a seq that was not answered 200 (as a device does)
    const devices = Array.from({ length: 9 }, (_, i) => ({ name: `F-${i}`, from: `127.0.1.${2 + i}` }))
    const answered = new Map<string, Array<{ seq: number; at: number }>>(devices.map((d) => [d.name, []]))
    const failures: Array<{ device: string; at: number; status: number }> = []
    let stop = false
    const MAX_PER_DEVICE = 400
    const loops = devices.map(async (d) => {
      for (let seq = 1; seq <= MAX_PER_DEVICE && !stop;) {
        const r = await post('/data', { name: d.name, seq }, d.from)
        if (r.status === 200) answered.get(d.name)!.push({ seq: seq++, at: Date.now() })
        else {
          failures.push({ device: d.name, at: Date.now(), status: r.status })
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      }
    })
    const count = (name: string, after = 0): number => answered.get(name)!.filter((a) => a.at > after).length
    await expect.poll(() => devices.every((d) => seqsOf(d.name).size >= 3), { timeout: 15_000 }).toBe(true)
    const victimDevices = devices.filter((d) => ownerToken(d.name) === victim.token).map((d) => d.name)
    expect(victimDevices.length).toBeGreaterThan(0)

    // the victim's link to ThingsBoard stalls: what it answers 200 from now on stays in its sqlite outbox
    relay.freeze()
    const frozenAt = Date.now()
    await expect.poll(() => victimDevices.every((name) => count(name, frozenAt) >= 3), { timeout: 15_000 }).toBe(true)
    const killedAt = Date.now()
    victim.cli.child.kill('SIGKILL')
    await victim.cli.exited
    const downAt = await haproxy.waitForLine(/Server restgate\/rg1 is DOWN/, killedAt)
    await expect.poll(() => devices.every((d) => count(d.name, downAt) >= 3), { timeout: 15_000 }).toBe(true)
    stop = true
    await Promise.all(loops)

    // failover: time from the kill to each moved device's first 200 through another instance
    const gaps = victimDevices.map((name) => answered.get(name)!.find((a) => a.at > killedAt)!.at - killedAt)
    const failed = failures.filter((f) => f.at >= killedAt)
    console.info(
      `scale-out failover: HAProxy marked the killed instance DOWN after ${downAt - killedAt} ms (check inter ${CHECK_INTER}, fall 2); ` +
        `moved devices answered 200 again after max ${Math.max(...gaps)} ms (per device: ${gaps.join(', ')} ms); ` +
        `${failed.length} request(s) failed around the kill and were retried by their device`,
    )
    expect(Math.max(...gaps)).toBeLessThan(downAt - killedAt + 5_000)

    // downlink for a moved device works once it posted again: its new owner answers
    for (const name of victimDevices) {
      expect(ownerToken(name)).not.toBe(victim.token)
      const reply = (await sandbox.sendRpc(name, 'where', {}, { timeoutMs: 10_000 })) as { result: { instance: string } }
      expect(reply.result.instance).toBe(ownerToken(name))
    }

    // some data answered 200 by the victim is only in its outbox; the restarted instance delivers it
    const missingBefore = devices.flatMap((d) =>
      answered
        .get(d.name)!
        .filter((a) => !seqsOf(d.name).has(a.seq))
        .map((a) => `${d.name}#${a.seq}`),
    )
    expect(missingBefore.length).toBeGreaterThan(0)
    relay.thaw()
    victim.cli = startInstance(0)
    await ready(victim.cli)
    await sandbox.waitFor(() => devices.every((d) => answered.get(d.name)!.every((a) => seqsOf(d.name).has(a.seq))), 30_000)
    console.info(
      `scale-out failover: ${missingBefore.length} record(s) answered 200 by the killed instance were delivered from its sqlite outbox after restart`,
    )
    await haproxy.waitForLine(/Server restgate\/rg1 is UP/, killedAt)
  }, 60_000)
})
