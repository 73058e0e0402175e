/**
 * Issue 11 through the real CLI process, a real sandbox broker standing in for ThingsBoard and real
 * HTTP requests: the gaps found by running the original side by side (empty POST, attribute request
 * naming no attribute, the responseExpected attribute, an unloadable extension), and what the
 * attacker probes broke (deep nesting, 1e400, huge arrays, compressed bodies, log floods, CLI errors).
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { gzipSync, deflateSync, deflateRawSync } from 'node:zlib'
import type { Sandbox } from '@restgate/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, freePort, repoRoot, runCli, startSandbox, writeConfigFolder, type CliProcess } from './_harness.ts'

/** The original gateway's shipped rest.json (a copy in config's fixtures), which names `CustomRestUplinkConverter`. */
function originalRestJson(): Record<string, unknown> {
  const file = join(repoRoot, 'packages/config/test/fixtures/original-rest.json')
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
}

const ORIGINAL = originalRestJson()
const originalMappings = ORIGINAL.mapping as Array<{ endpoint: string }>

const mappingOf = (endpoint: string, converter: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  endpoint,
  HTTPMethods: ['POST'],
  security: { type: 'anonymous' },
  converter: { type: 'json', ...converter },
  ...extra,
})

const byName = (expression: string): Record<string, unknown> => ({
  deviceInfo: {
    deviceNameExpressionSource: 'request',
    deviceNameExpression: expression,
    deviceProfileExpressionSource: 'constant',
    deviceProfileExpression: 'default',
  },
})

/** The original's rest.json on a free port, without its unshipped custom converter, plus the probes' endpoints. */
function config(port: number): Record<string, unknown> {
  return {
    ...ORIGINAL,
    server: { host: '127.0.0.1', port, SSL: false, maxArrayElements: 30_000, maxJsonKeys: 200_000 },
    mapping: [
      ...originalMappings.filter((m) => m.endpoint !== '/anon2'),
      mappingOf('/json', {
        ...byName('${name}'),
        timeseries: [
          { type: 'json', key: 'v', value: '${v}' },
          { type: 'double', key: 't', value: '${t}' },
        ],
      }),
      mappingOf('/drops', {
        ...byName('${name}'),
        timeseries: [
          { type: 'json', key: 'v', value: '${v}' },
          { type: 'double', key: 't', value: '${t}' },
        ],
      }),
      mappingOf(
        '/rr',
        { ...byName('${name}'), timeseries: [{ type: 'int', key: 't', value: '${t}' }] },
        { response: { responseExpected: true, timeout: 30, responseAttribute: 'result' } },
      ),
      mappingOf('/bulk', { ...byName('${name}'), timeseries: [{ type: 'int', key: 'i', value: '${i}' }] }),
      mappingOf(
        '/secure',
        { ...byName('${name}'), timeseries: [{ type: 'int', key: 't', value: '${t}' }] },
        { security: { type: 'basic', username: 'user', password: 'password' } },
      ),
    ],
  }
}

const json = { 'content-type': 'application/json' }
const payload = (name: string): Buffer => Buffer.from(JSON.stringify({ name, i: 7 }))

describe('one gateway process on the original rest.json', () => {
  let sandbox: Sandbox & { port: number }
  let folder: ReturnType<typeof writeConfigFolder>
  let cli: CliProcess
  let base: string

  beforeAll(async () => {
    sandbox = await startSandbox({ maxTelemetryPerDevice: 50_000 }) // the 30 000-element body below is counted at the sandbox
    const port = await freePort()
    folder = writeConfigFolder({
      brokerPort: sandbox.port,
      storage: { type: 'memory', max_records_count: 100_000, read_records_count: 100 },
      connectors: { 'rest.json': config(port) },
    })
    cli = runCli(['--config', folder.file])
    await cli.waitForOutput(/sending to ThingsBoard/, 60_000)
    base = `http://127.0.0.1:${port}`
    await sandbox.waitFor((s) => s.clients.size > 0 || undefined, 15_000)
  })
  afterAll(async () => {
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL')
    await sandbox?.stop()
    folder?.cleanup()
  })

  it('an empty POST to /anon1 (constant device) runs the converter: 200, the constant attributes are published', async () => {
    const res = await fetch(`${base}/anon1`, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok', devices: 1, attributes: 1, telemetry: 0 })
    const device = await sandbox.waitFor((s) => (s.devices.get('Device 2')?.attributes.model === 'Model2' ? s.devices.get('Device 2') : undefined))
    expect(device.attributes).toMatchObject({ model: 'Model2' })
    // a GET without query is still refused, as the original
    const get = await fetch(`${base}/anon1`)
    expect(get.status).toBe(415)
    // an empty POST where the device name comes from the request: 400, nothing published
    const noName = await fetch(`${base}/my_devices`, { method: 'POST' })
    expect(noName.status).toBe(400)
    expect(await noName.json()).toMatchObject({ code: 'DEVICE_NAME_MISSING' })
  })

  it('an attribute request naming no attribute is sent with "keys": [] and answered with what ThingsBoard returns', async () => {
    await sandbox.setAttributes('TY-1', { shared: { fw: '1.0', mode: 'eco' } })
    const res = await fetch(`${base}/sharedAttributes`, { method: 'POST', headers: json, body: '{"deviceName":"TY-1"}' })
    expect(res.status).toBe(200)
    const requests = sandbox.messages({ kind: 'attributeRequest', device: 'TY-1' }).map((m) => JSON.parse(m.raw) as Record<string, unknown>)
    expect(requests).toEqual([expect.objectContaining({ device: 'TY-1', keys: [], client: false })])
    const answer = (await res.json()) as Record<string, unknown>
    expect(answer).toMatchObject({ device: 'TY-1' })
    expect(JSON.stringify(answer)).toContain('eco')
  })

  it('responseExpected publishes the client attribute responseExpected: true with the device data, then answers with the attribute', async () => {
    const pending = fetch(`${base}/rr`, { method: 'POST', headers: json, body: '{"name":"RR-1","t":1}' })
    const device = await sandbox.waitFor((s) => (s.devices.get('RR-1')?.attributes.responseExpected === true ? s.devices.get('RR-1') : undefined))
    expect(device.attributes).toMatchObject({ responseExpected: true })
    expect(sandbox.messages({ kind: 'attributes', device: 'RR-1' }).map((m) => JSON.parse(m.raw))).toContainEqual({
      'RR-1': expect.objectContaining({ responseExpected: true }),
    })
    // ThingsBoard's rule chain answers through the shared attribute
    await sandbox.waitFor((s) => (s.devices.get('RR-1')?.telemetry.length ?? 0) > 0 || undefined)
    await sandbox.sendAttributeUpdate('RR-1', { result: { ok: true } })
    const res = await pending
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
  })

  it('a 20 000-deep value in a json datapoint is refused with 400 BODY_TOO_DEEP before answering; nothing is published', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000)
    const res = await fetch(`${base}/json`, { method: 'POST', headers: json, body: `{"name":"DEEP-1","v":${deep}}` })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { code: string; message: string }
    expect(body.code).toBe('BODY_TOO_DEEP')
    expect(body.message).toContain('32')
    // within the limit it is delivered
    const ok = await fetch(`${base}/json`, { method: 'POST', headers: json, body: `{"name":"DEEP-2","v":${'['.repeat(20)}1${']'.repeat(20)}}` })
    expect(ok.status).toBe(200)
    await sandbox.waitFor((s) => (s.devices.get('DEEP-2')?.telemetry.length ?? 0) > 0 || undefined)
    expect(sandbox.state.devices.has('DEEP-1')).toBe(false)
  })

  it('1e400 in a json datapoint is dropped and reported (as double does), never sent as null', async () => {
    const res = await fetch(`${base}/json`, { method: 'POST', headers: json, body: '{"name":"INF-1","v":{"a":1e400},"t":1e400}' })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { telemetry: number; dropped: Array<{ key: string; reason: string }> }
    expect(body.telemetry).toBe(0)
    expect(body.dropped).toEqual([
      expect.objectContaining({ key: 'v', reason: expect.stringContaining('not finite') }),
      expect.objectContaining({ key: 't', reason: expect.stringContaining('not a finite number') }),
    ])
    // with a finite sibling the request is delivered without the bad value
    const mixed = await fetch(`${base}/json`, { method: 'POST', headers: json, body: '{"name":"INF-2","v":[1e400],"t":2.5}' })
    expect(mixed.status).toBe(200)
    const device = await sandbox.waitFor((s) => (s.devices.get('INF-2')?.telemetry.length ? s.devices.get('INF-2') : undefined))
    expect(device.telemetry.map((t) => t.values)).toEqual([{ t: 2.5 }])
    expect(sandbox.state.devices.has('INF-1')).toBe(false)
  })

  it('gzip and deflate bodies are inflated; a zip bomb is refused on its inflated size; other encodings get 415', async () => {
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(payload('GZ-1'))],
      ['deflate', deflateSync(payload('DF-1'))],
      ['deflate', deflateRawSync(payload('DF-2'))],
    ] as const) {
      const res = await fetch(`${base}/bulk`, { method: 'POST', headers: { ...json, 'content-encoding': encoding }, body: bytes })
      expect([encoding, res.status]).toEqual([encoding, 200])
    }
    for (const name of ['GZ-1', 'DF-1', 'DF-2']) {
      const device = await sandbox.waitFor((s) => (s.devices.get(name)?.telemetry.length ? s.devices.get(name) : undefined))
      expect(device.telemetry[0]?.values).toEqual({ i: 7 })
    }
    // 64 MiB of zeros gzip to ~64 KB: under the 1 MiB body limit as sent, far over it inflated
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20))
    expect(bomb.byteLength).toBeLessThan(1024 * 1024)
    const refused = await fetch(`${base}/bulk`, { method: 'POST', headers: { ...json, 'content-encoding': 'gzip' }, body: bomb })
    expect(refused.status).toBe(413)
    expect(await refused.json()).toMatchObject({ code: 'BODY_TOO_LARGE' })
    const br = await fetch(`${base}/bulk`, { method: 'POST', headers: { ...json, 'content-encoding': 'br' }, body: payload('BR-1') })
    expect(br.status).toBe(415)
    expect(await br.json()).toMatchObject({ code: 'UNSUPPORTED_ENCODING' })
    const corrupt = await fetch(`${base}/bulk`, { method: 'POST', headers: { ...json, 'content-encoding': 'gzip' }, body: payload('BAD-1') })
    expect(corrupt.status).toBe(400)
    expect(await corrupt.json()).toMatchObject({ code: 'INVALID_COMPRESSION' })
  })

  it('30 000 small objects (0.9 MB) are converted without holding other clients: small requests are answered meanwhile', async () => {
    const big = JSON.stringify(Array.from({ length: 30_000 }, (_, i) => ({ name: 'BULK', i })))
    expect(big.length).toBeGreaterThan(500_000)
    const bigState = { done: false }
    const bigRequest = fetch(`${base}/bulk`, { method: 'POST', headers: json, body: big }).then(async (r) => {
      bigState.done = true
      return { status: r.status, body: (await r.json()) as { telemetry: number } }
    })
    // small requests one after another while the big one is in flight: several are answered before it
    let answeredMeanwhile = 0
    for (let n = 0; !bigState.done && n < 10_000; n++) {
      const res = await fetch(`${base}/bulk`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'SMALL', i: n }) })
      expect(res.status).toBe(200)
      if (!bigState.done) answeredMeanwhile++
    }
    const done = await bigRequest
    expect(done.status).toBe(200)
    expect(done.body.telemetry).toBe(30_000)
    expect(answeredMeanwhile).toBeGreaterThan(3)
    const device = await sandbox.waitFor((s) => ((s.devices.get('BULK')?.telemetry.length ?? 0) >= 30_000 ? s.devices.get('BULK') : undefined), 60_000)
    expect(device.telemetry).toHaveLength(30_000)
  }, 120_000)

  it('over maxArrayElements is refused with 413 TOO_MANY_ELEMENTS before parsing', async () => {
    const tooMany = JSON.stringify(Array.from({ length: 30_001 }, () => ({})))
    const res = await fetch(`${base}/bulk`, { method: 'POST', headers: json, body: tooMany })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ code: 'TOO_MANY_ELEMENTS', message: expect.stringContaining('30000') })
  })

  it('failed logins and refused requests are logged at WARN once, then counted into one summary line (flushed at shutdown)', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${base}/secure`, {
        method: 'POST',
        headers: { ...json, authorization: basicAuth('user', `wrong-${i}`) },
        body: '{"name":"S","t":1}',
      })
      expect(res.status).toBe(401)
    }
    const good = await fetch(`${base}/secure`, {
      method: 'POST',
      headers: { ...json, authorization: basicAuth('user', 'password') },
      body: '{"name":"S","t":1}',
    })
    expect(good.status).toBe(200)
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${base}/secure`, { method: 'POST', headers: { ...json, authorization: basicAuth('user', 'password') }, body: '{"t":1}' })
      expect(res.status).toBe(400)
    }
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/drops`, { method: 'POST', headers: json, body: `{"name":"LOGGED-${i}","t":1e400,"v":1}` })
      expect(res.status).toBe(200)
    }
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    const lines = cli.output().split('\n')
    const auth = lines.filter((l) => l.includes('authentication failed'))
    // one line at once (with the source address), one summary with the count of the other 19
    expect(auth).toHaveLength(2)
    expect(auth[0]).toMatch(/WARN|"level":40|warn/)
    expect(auth[0]).toContain('/secure')
    expect(auth[0]).toContain('127.0.0.1')
    expect(auth[0]).not.toContain('wrong-')
    expect(auth[1]).toContain('19 more')
    const refused = lines.filter((l) => l.includes('request refused') && l.includes('DEVICE_NAME_MISSING') && l.includes('/secure'))
    expect(refused).toHaveLength(2)
    expect(refused[1]).toContain('4 more')
    const partly = lines.filter((l) => l.includes('request partly dropped') && l.includes('/drops'))
    expect(partly).toHaveLength(2)
    expect(partly[0]).toContain('LOGGED-0')
    expect(partly[0]).toContain('not a finite number')
    expect(partly[1]).toContain('2 more')
    // the probes above were refused too (deep body, too many elements, bomb, br): logged, never with their bodies
    expect(lines.some((l) => l.includes('request refused') && l.includes('BODY_TOO_DEEP'))).toBe(true)
    expect(cli.output()).not.toContain('[[[[[[[[')
  })
})

describe('the CLI refuses bad configs and options with exit 2 and one clear line', () => {
  it("the original's shipped rest.json (CustomRestUplinkConverter is not shipped): validate and run exit 2; run never connects", async () => {
    const events: string[] = []
    const sandbox = await startSandbox({ log: (line) => events.push(line) })
    try {
      const port = await freePort()
      const folder = writeConfigFolder({
        brokerPort: sandbox.port,
        extensions: false,
        connectors: { 'rest.json': { ...ORIGINAL, server: { host: '127.0.0.1', port, SSL: false } } },
      })
      try {
        const validate = runCli(['validate', '--config', folder.file])
        expect(await validate.exited).toBe(2)
        expect(validate.output()).toContain('mapping[2].converter.extension')
        expect(validate.output()).toContain('CustomRestUplinkConverter')
        // the connector file alone too
        const validateRest = runCli(['validate', '--config', join(folder.dir, 'rest.json')])
        expect(await validateRest.exited).toBe(2)
        expect(validateRest.output()).toContain('cannot find extension "CustomRestUplinkConverter"')
        const run = runCli(['--config', folder.file])
        expect(await run.exited).toBe(2)
        expect(run.output()).toContain('CustomRestUplinkConverter')
        expect(run.output()).not.toMatch(/\n\s+at /)
        // no MQTT client ever connected (the sandbox logs every connect)
        expect(events.filter((l) => l.includes('connected'))).toEqual([])
        expect(sandbox.state.messageCount).toBe(0)
        expect(sandbox.state.refusedConnections).toBe(0)
      } finally {
        folder.cleanup()
      }
    } finally {
      await sandbox.stop()
    }
  })

  it('--sandbox with its MQTT port taken: one line naming the port, exit 2, no stack trace', async () => {
    const blocker: Server = createServer()
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)))
    const folder = writeConfigFolder({ brokerPort: port, connectors: { 'rest.json': { port: await freePort(), mapping: [] } } })
    try {
      const cli = runCli(['--config', folder.file, '--sandbox', '--sandbox-http-port', '0'])
      expect(await cli.exited).toBe(2)
      const out = cli.output().trim()
      expect(out).toContain(String(port))
      expect(out).toContain('in use')
      expect(out).not.toMatch(/\n\s+at /)
      expect(out.split('\n').filter((l) => l.includes('restgate:'))).toHaveLength(1)
      // `restgate sandbox` alone: the same
      const alone = runCli(['sandbox', '--port', String(port), '--http-port', '0'])
      expect(await alone.exited).toBe(2)
      expect(alone.output()).toContain('in use')
      expect(alone.output()).not.toMatch(/\n\s+at /)
    } finally {
      blocker.close()
      folder.cleanup()
    }
  })

  it('--log-level bogus, --heap-growth 1000: one line naming the valid values, exit 2; the original names (WARNING) are accepted', async () => {
    const folder = writeConfigFolder({ brokerPort: 1, connectors: { 'rest.json': { port: await freePort(), mapping: [originalMappings[0]] } } })
    try {
      const cli = runCli(['--config', folder.file, '--log-level', 'bogus'])
      expect(await cli.exited).toBe(2)
      expect(cli.output().trim().split('\n')).toEqual([expect.stringMatching(/--log-level.*"bogus"/)])
      const heap = runCli(['--config', folder.file, '--heap-growth', '1000'])
      expect(await heap.exited).toBe(2)
      expect(heap.output().trim().split('\n')).toEqual([expect.stringMatching(/--heap-growth: expected a whole percentage 0-400.*"1000"/)])
      const original = runCli(['--config', folder.file, '--log-level', 'WARNING'])
      // accepted: it goes on to load the config (and either starts or names a config problem)
      await Promise.race([original.exited, original.waitForOutput(/sending to ThingsBoard/, 60_000).catch(() => undefined)])
      if (original.child.exitCode === null) original.child.kill('SIGKILL')
      expect(original.output()).not.toContain('--log-level')
    } finally {
      folder.cleanup()
    }
  })
})
