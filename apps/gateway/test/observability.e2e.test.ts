/**
 * Operating the CLI process: JSON and readable logs (secrets absent, values from outside escaped and
 * capped), the admin endpoint (/healthz, /readyz flipping with the broker, /metrics moving with
 * traffic, /loglevel and SIGUSR2), and the gateway's statistics arriving at ThingsBoard.
 */
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { describe, expect, it, vi, onTestFinished } from 'vitest'
import { basicAuth, freePort, runCli, startSandbox, TOKEN, writeConfigFolder, type CliProcess } from './_harness.ts'

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 })

const PASSWORD = 'hunter2-very-secret'
const mapping = {
  endpoint: '/t',
  HTTPMethods: ['POST'],
  security: { type: 'basic', username: 'u', password: PASSWORD },
  converter: {
    type: 'json',
    deviceNameExpression: '${name}',
    deviceTypeExpression: 'sensor',
    timeseries: [
      { type: 'int', key: 'n', value: '${n}' },
      { type: 'string', key: 's', value: '${s}' },
    ],
  },
}

interface Setup {
  cli: CliProcess
  admin: string
  url: string
  sandbox: Awaited<ReturnType<typeof startSandbox>>
}

async function start(
  args: string[],
  env: Record<string, string>,
  thingsboard: Record<string, unknown> = {},
  rest: Record<string, unknown> = {},
): Promise<Setup> {
  const sandbox = await startSandbox()
  onTestFinished(() => sandbox.stop())
  const port = await freePort()
  const adminPort = await freePort()
  const folder = writeConfigFolder({
    brokerPort: sandbox.port,
    thingsboard,
    connectors: { 'rest.json': { host: '127.0.0.1', port, mapping: [mapping], ...rest } },
  })
  onTestFinished(folder.cleanup)
  // the admin section sits at the root of tb_gateway.json
  const { readFileSync } = await import('node:fs')
  const gw = JSON.parse(readFileSync(folder.file, 'utf8')) as Record<string, unknown>
  writeFileSync(folder.file, JSON.stringify({ ...gw, admin: { host: '127.0.0.1', port: adminPort, readyGraceSeconds: 0 } }))
  const cli = runCli(['--config', folder.file, ...args], env)
  onTestFinished(async () => {
    if (cli.child.exitCode === null) {
      cli.child.kill('SIGTERM')
      await cli.exited
    }
  })
  await cli.waitForOutput(new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`), 60_000)
  return { cli, admin: `http://127.0.0.1:${adminPort}`, url: `http://127.0.0.1:${port}`, sandbox }
}

const post = (url: string, body: unknown, password = PASSWORD): Promise<number> =>
  fetch(`${url}/t`, { method: 'POST', headers: { authorization: basicAuth('u', password) }, body: JSON.stringify(body) }).then(async (r) => {
    await r.arrayBuffer()
    return r.status
  })

/** The value of one sample of a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    const at = line.lastIndexOf(' ')
    const head = line.slice(0, at)
    if (want.every((w) => head.includes(w))) return Number(line.slice(at + 1))
  }
  return 0
}

const scrape = async (admin: string): Promise<string> => {
  const res = await fetch(`${admin}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/plain')
  return res.text()
}

/** A device name that tries to forge a log line and recolour the terminal, 5000+ characters long. */
const EVIL = 'evil\n2026-01-01T00:00:00.000Z ERROR forged line\r\u001b[31mred\u001b[0m' + 'x'.repeat(5000)

describe('JSON logs and the admin endpoint', () => {
  it('writes parseable JSON lines by default when stdout is not a terminal; serves /healthz, /readyz, /metrics that move with traffic', async () => {
    const { cli, admin, url, sandbox } = await start([], { RESTGATE_LOG_FORMAT: '' }, { maxPayloadSizeBytes: 400 })

    expect((await fetch(`${admin}/healthz`)).status).toBe(200)
    await vi.waitFor(async () => expect((await fetch(`${admin}/readyz`)).status).toBe(200), { timeout: 30_000, interval: 100 })

    const before = await scrape(admin)
    const labels = { connector: 'REST Connector', endpoint: '/t', status: '200' }
    const ok0 = sample(before, 'restgate_http_requests_total', labels)
    const dp0 = sample(before, 'restgate_datapoints_accepted_total', { connector: 'REST Connector' })
    for (let i = 0; i < 5; i++) expect(await post(url, { name: `M-${i}`, n: i, s: 'v' })).toBe(200)
    expect(await post(url, { name: 'M-x', n: 1, s: 'v' }, 'wrong')).toBe(401)
    expect((await fetch(`${url}/nope`, { method: 'POST', body: '{}' })).status).toBe(404)
    await sandbox.waitFor((s) => s.devices.get('M-4')?.telemetry.length, 15_000)
    let after = ''
    await vi.waitFor(
      async () => {
        after = await scrape(admin)
        expect(sample(after, 'restgate_records_acknowledged_total')).toBeGreaterThanOrEqual(5)
      },
      { timeout: 15_000, interval: 100 },
    )
    expect(sample(after, 'restgate_http_requests_total', labels) - ok0).toBe(5)
    expect(sample(after, 'restgate_http_requests_total', { ...labels, status: '401' })).toBe(1)
    expect(sample(after, 'restgate_http_requests_total', { endpoint: 'none', status: '404' })).toBe(1)
    expect(sample(after, 'restgate_datapoints_accepted_total', { connector: 'REST Connector' }) - dp0).toBe(10)
    expect(sample(after, 'restgate_records_received_total', { connector: 'REST Connector' })).toBe(5)
    expect(sample(after, 'restgate_thingsboard_connected')).toBe(1)
    expect(after).toContain('nodejs_eventloop_lag_seconds')
    expect(after).toContain('process_resident_memory_bytes')

    // a device name from outside: escaped by JSON, capped
    expect(await post(url, { name: EVIL, n: 1, s: 'y'.repeat(600) })).toBe(200)
    // (the tb-client warns that a datapoint of the device is over the payload limit; the cap cuts the message's tail)
    await cli.waitForOutput(/"msg":"datapoint [^\n]*of device [^\n]*evil/, 15_000)
    const warning = cli
      .output()
      .split('\n')
      .find((l) => l.includes('of device \\"evil'))!
    const entry = JSON.parse(warning) as { msg: string; level: string; component: string }
    expect(entry).toMatchObject({ level: 'warn', component: 'thingsboard' })
    expect(entry.msg).toContain('evil\n2026-01-01T00:00:00.000Z ERROR forged line')
    expect(entry.msg.length).toBeLessThan(1100)
    expect(entry.msg).toMatch(/…\[\d+ more chars cut\]$/)

    // runtime level: PUT /loglevel, then SIGUSR2 cycles on (debug → info)
    const put = await fetch(`${admin}/loglevel`, { method: 'PUT', body: 'debug' })
    expect(await put.json()).toEqual({ level: 'debug', previous: 'info' })
    await cli.waitForOutput(/"msg":"log level set to debug"/)
    expect((await fetch(`${admin}/loglevel`, { method: 'PUT', body: '{"level":"bogus"}' })).status).toBe(400)
    cli.child.kill('SIGUSR2')
    await cli.waitForOutput(/"reason":"SIGUSR2","msg":"log level set to info"/)
    expect(await (await fetch(`${admin}/loglevel`)).json()).toMatchObject({ level: 'info' })

    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    const lines = cli
      .output()
      .split('\n')
      .filter((l) => l !== '')
    expect(lines.length).toBeGreaterThan(5)
    for (const line of lines) expect(() => JSON.parse(line), line.slice(0, 200)).not.toThrow()
    const out = cli.output()
    expect(out).not.toContain(PASSWORD)
    expect(out).not.toContain(TOKEN)
    expect(out).not.toContain('\u001b')
    expect(out).not.toContain('x'.repeat(1100))
    expect(lines.every((l) => l.length < 8 * 1024)).toBe(true)
  })

  it('/readyz turns 503 when the broker goes away and 200 when it is back', async () => {
    const { admin, sandbox } = await start([], {})
    await vi.waitFor(async () => expect((await fetch(`${admin}/readyz`)).status).toBe(200), { timeout: 30_000, interval: 100 })
    await sandbox.stop()
    let body: { status: string; checks: Record<string, { ok: boolean; detail: string }> } | undefined
    await vi.waitFor(
      async () => {
        const res = await fetch(`${admin}/readyz`)
        body = (await res.json()) as typeof body
        expect(res.status).toBe(503)
      },
      { timeout: 30_000, interval: 100 },
    )
    expect(body).toMatchObject({ status: 'not ready', checks: { listening: { ok: true }, storage: { ok: true }, thingsboard: { ok: false } } })
    expect(body!.checks.thingsboard!.detail).toMatch(/^disconnected/)
    expect((await fetch(`${admin}/healthz`)).status).toBe(200)
    await sandbox.start()
    await vi.waitFor(async () => expect((await fetch(`${admin}/readyz`)).status).toBe(200), { timeout: 30_000, interval: 200 })
    const text = await scrape(admin)
    expect(sample(text, 'restgate_thingsboard_reconnects_total')).toBeGreaterThanOrEqual(1)
    expect(sample(text, 'restgate_thingsboard_disconnects_total')).toBeGreaterThanOrEqual(1)
  })
})

/** A serverSideRpc rule sending RPC `method` to port `port`. */
const rpc = (method: string, port: number): Record<string, unknown> => ({
  deviceNameFilter: '.*',
  methodFilter: method,
  requestUrlExpression: `http://127.0.0.1:${port}/${method}`,
  responseTimeout: 5,
  HTTPMethod: 'POST',
  valueExpression: '${params}',
})

describe('downlink metrics', () => {
  it('counts RPC requests by rule and outcome and times them', async () => {
    const target = createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'))
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => target.close(() => resolve())))
    const targetPort = (target.address() as { port: number }).port
    const closedPort = await freePort()
    const { admin, sandbox } = await start([], {}, {}, { serverSideRpc: [rpc('echo', targetPort), rpc('down', closedPort)] })
    await vi.waitFor(async () => expect((await fetch(`${admin}/readyz`)).status).toBe(200), { timeout: 30_000, interval: 100 })
    expect(await sandbox.sendRpc('R-1', 'echo', { a: 1 })).toMatchObject({ result: { ok: true } })
    expect(await sandbox.sendRpc('R-1', 'echo', { a: 2 })).toMatchObject({ result: { ok: true } })
    expect(await sandbox.sendRpc('R-1', 'down', {})).toMatchObject({ error: expect.any(String) })
    const text = await scrape(admin)
    expect(sample(text, 'restgate_downlink_requests_total', { kind: 'rpc', rule: 'serverSideRpc[0]', outcome: 'ok' })).toBe(2)
    expect(sample(text, 'restgate_downlink_requests_total', { kind: 'rpc', rule: 'serverSideRpc[1]', outcome: 'network' })).toBe(1)
    expect(sample(text, 'restgate_rpc_duration_seconds_count', { connector: 'REST Connector' })).toBe(3)
    expect(sample(text, 'restgate_rpc_replies_total', { connector: 'REST Connector' })).toBe(3)
  })
})

describe('readable logs', () => {
  it('escapes control characters of logged values and caps them with --log-format pretty', async () => {
    const { cli, url } = await start(['--log-format', 'pretty'], { RESTGATE_LOG_FORMAT: 'json' }, { maxPayloadSizeBytes: 400 })
    expect(await post(url, { name: EVIL, n: 1, s: 'y'.repeat(600) })).toBe(200)
    const m = await cli.waitForOutput(/^.* WARN \[thingsboard\] datapoint .*of device "evil.*$/m, 15_000)
    const line = m[0]
    expect(line).toContain('evil\\n2026-01-01T00:00:00.000Z ERROR forged line\\r\\u001b[31mred\\u001b[0m')
    expect(line).toMatch(/…\[\d+ more chars cut\]/)
    expect(line.length).toBeLessThan(1200)
    const out = cli.output()
    expect(out).not.toContain('\u001b')
    expect(out).not.toMatch(/^2026-01-01T00:00:00.000Z ERROR forged line/m)
    for (const l of out.split('\n').filter((x) => x !== '' && !x.startsWith(' '))) expect(l).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z (DEBUG|INFO|WARN|ERROR) /)
  })
})

describe('statistics', () => {
  it("sends the gateway statistics as telemetry of the gateway device with the original's keys", async () => {
    const { url, sandbox } = await start([], {}, { statistics: { enable: true, statsSendPeriodInSeconds: 1 } })
    for (let i = 0; i < 3; i++) expect(await post(url, { name: `S-${i}`, n: i, s: 'v' })).toBe(200)
    const stats = (): Array<Record<string, number>> =>
      sandbox.state.messages.filter((m) => m.topic === 'v1/devices/me/telemetry').map((m) => (m.payload as { values: Record<string, number> }).values)
    await vi.waitFor(
      () => {
        const all = stats()
        expect(all.reduce((n, v) => n + (v.eventsProduced ?? 0), 0)).toBe(3)
        expect(all.reduce((n, v) => n + (v.eventsSent ?? 0), 0)).toBeGreaterThanOrEqual(3)
      },
      { timeout: 30_000, interval: 200 },
    )
    const last = stats().at(-1)!
    expect(Object.keys(last).toSorted()).toEqual(
      ['datapointsDropped', 'eventsDropped', 'eventsProduced', 'eventsSent', 'queueDepth', 'restconnectorEventsProduced', 'restconnectorEventsSent'].toSorted(),
    )
    expect(stats().reduce((n, v) => n + (v.restconnectorEventsProduced ?? 0), 0)).toBe(3)
  })
})
