/**
 * The gateway as a user runs it: HTTPS with a generated and a given certificate, a broker that
 * restarts in the middle of traffic, a full outbox, the CLI process with SIGTERM and bad configs.
 */
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import selfsigned from 'selfsigned'
import { describe, expect, it, onTestFinished } from 'vitest'
import { basicAuth, docsConfig, freePort, runCli, startGateway, startSandbox, writeConfigFolder } from './_harness.ts'

function httpsPost(url: string, ca: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const anonMapping = {
  endpoint: '/t',
  HTTPMethods: ['POST'],
  converter: { type: 'json', deviceNameExpression: '${name}', deviceTypeExpression: 'sensor', timeseries: [{ type: 'int', key: 'n', value: '${n}' }] },
}

describe('HTTPS', () => {
  it('generates a self-signed certificate into the data folder and serves with it', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const port = await freePort()
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': { host: '127.0.0.1', port, SSL: true, mapping: [anonMapping] } } })
    onTestFinished(folder.cleanup)
    const gw = await startGateway(folder.file)
    onTestFinished(gw.stop)
    expect(gw.urls[0]).toBe(`https://127.0.0.1:${port}`)
    const tlsDir = join(folder.dir, 'data', 'tls')
    const certFile = readdirSync(tlsDir).find((f) => f.endsWith('.crt') || f.endsWith('cert.pem'))
    expect(certFile).toBeDefined()
    const pem = readFileSync(join(tlsDir, certFile!), 'utf8')
    expect(new X509Certificate(pem).subjectAltName).toContain('IP Address:127.0.0.1')
    expect(existsSync(join(process.cwd(), 'domain_srv.crt'))).toBe(false)
    const res = await httpsPost(`${gw.urls[0]}/t`, pem, '{"name":"TLS-1","n":1}')
    expect(res.status).toBe(200)
    await sandbox.waitFor((s) => s.devices.get('TLS-1')?.telemetry.length)
  })

  it('serves with a given certificate and key', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const port = await freePort()
    const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    })
    const folder = writeConfigFolder({
      brokerPort: sandbox.port,
      connectors: { 'rest.json': { server: { host: '127.0.0.1', port, SSL: true, security: { cert: 'my.crt', key: 'my.key' } }, mapping: [anonMapping] } },
    })
    onTestFinished(folder.cleanup)
    writeFileSync(join(folder.dir, 'my.crt'), pems.cert)
    writeFileSync(join(folder.dir, 'my.key'), pems.private)
    const gw = await startGateway(folder.file)
    onTestFinished(gw.stop)
    const res = await httpsPost(`${gw.urls[0]}/t`, pems.cert, '{"name":"TLS-2","n":2}')
    expect(res.status).toBe(200)
    await sandbox.waitFor((s) => s.devices.get('TLS-2')?.telemetry.length)
    expect(existsSync(join(folder.dir, 'data', 'tls'))).toBe(false)
  })
})

describe('delivery', () => {
  it('loses nothing that was answered 200 when the broker restarts in the middle of traffic', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': { port: await freePort(), mapping: [anonMapping] } } })
    onTestFinished(folder.cleanup)
    const gw = await startGateway(folder.file)
    onTestFinished(gw.stop)
    const ok = new Set<string>()
    const send = async (i: number): Promise<void> => {
      const res = await fetch(`${gw.urls[0]}/t`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `D${i % 10}`, n: i }),
      })
      if (res.status === 200) ok.add(`D${i % 10}:${i}`)
      else expect(res.status).toBe(503)
    }
    let i = 0
    for (; i < 100; i++) await send(i)
    const restart = sandbox.restart()
    for (; i < 200; i++) await send(i)
    await restart
    for (; i < 300; i++) await send(i)
    expect(ok.size).toBe(300)
    const seen = (): Set<string> => {
      const s = new Set<string>()
      for (const d of sandbox.state.devices.values()) for (const t of d.telemetry) s.add(`${d.name}:${String(t.values.n)}`)
      return s
    }
    await sandbox.waitFor(() => [...ok].every((k) => seen().has(k)), 15_000)
    // every device was connected (with its type) before its data, also after the restart
    for (const d of sandbox.state.devices.values()) {
      expect(d.dataBeforeConnect).toBe(0)
      expect(d.type).toBe('sensor')
    }
    // per device, the values arrived in the order they were sent (duplicates allowed only as resends)
    for (const d of sandbox.state.devices.values()) {
      const ns = d.telemetry.filter((t) => !t.duplicate).map((t) => Number(t.values.n))
      expect(ns).toEqual(ns.toSorted((a, b) => a - b))
    }
  })

  it('answers 503 with Retry-After when the outbox is full, and delivers what it accepted once ThingsBoard is back', async () => {
    const sandbox = await startSandbox()
    const brokerPort = sandbox.port
    await sandbox.stop()
    const folder = writeConfigFolder({
      brokerPort,
      storage: { type: 'memory', max_records_count: 3, read_records_count: 10 },
      connectors: { 'rest.json': { port: await freePort(), mapping: [anonMapping] } },
    })
    onTestFinished(folder.cleanup)
    const gw = await startGateway(folder.file, { waitForConnection: false })
    onTestFinished(gw.stop)
    const statuses: number[] = []
    for (let n = 0; n < 5; n++) {
      const res = await fetch(`${gw.urls[0]}/t`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'FULL', n }) })
      statuses.push(res.status)
      if (res.status === 503) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
        expect(await res.json()).toMatchObject({ code: 'OUTBOX_FULL' })
      }
    }
    expect(statuses).toEqual([200, 200, 200, 503, 503])
    await sandbox.start()
    onTestFinished(() => sandbox.stop())
    const device = await sandbox.waitFor((s) => (s.devices.get('FULL')?.telemetry.length === 3 ? s.devices.get('FULL') : undefined), 15_000)
    expect(device.telemetry.map((t) => t.values.n)).toEqual([0, 1, 2])
  })
})

describe('the CLI process', () => {
  it('starts on the docs config, prints where it listens, and flushes the outbox on SIGTERM', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const port = await freePort()
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': await docsConfig(port) } })
    onTestFinished(folder.cleanup)
    const cli = runCli(['--config', folder.file])
    onTestFinished(() => void cli.child.kill('SIGKILL'))
    await cli.waitForOutput(new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`))
    const auth = basicAuth('user', 'password')
    const answered = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`http://127.0.0.1:${port}/my_devices`, {
          method: 'POST',
          headers: { authorization: auth },
          body: JSON.stringify({ sensorName: `SIG-${i}`, sensorType: 'T', temp: i, hum: i }),
        }).then((r) => r.status),
      ),
    )
    expect(answered.every((s) => s === 200)).toBe(true)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    expect(cli.output()).toMatch(/stopping/)
    for (let i = 0; i < 50; i++) expect(sandbox.state.devices.get(`SIG-${i}`)?.latest.temperature?.value).toBe(i)
  })

  it('exits with code 2 and the validator messages on a bad config', async () => {
    const folder = writeConfigFolder({
      brokerPort: 1,
      connectors: { 'rest.json': { port: 5000, mapping: [{ endpoint: '/x', HTTPMethods: ['PSOT'], converter: { type: 'json', deviceNameExpression: 'x' } }] } },
    })
    onTestFinished(folder.cleanup)
    const cli = runCli(['--config', folder.file])
    expect(await cli.exited).toBe(2)
    expect(cli.output()).toContain('mapping[0].HTTPMethods[0]: expected one of')
    expect(cli.output()).toContain('got "PSOT"')
    const validate = runCli(['validate', '--config', join(folder.dir, 'rest.json')])
    expect(await validate.exited).toBe(2)
    const missing = runCli(['--config', join(folder.dir, 'nope.json')])
    expect(await missing.exited).toBe(2)
  })
})
