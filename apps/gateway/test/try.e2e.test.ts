/**
 * `restgate try` through the real CLI process on the docs' example (examples/quickstart): nothing
 * listens and no broker runs; the report comes from the real ingest server, converter and tb-client
 * payload code.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadGatewayFiles } from '../src/load-config.ts'
import { createTryRunner, type TryReport } from '../src/try.ts'
import { basicAuth, docsConfig, freePort, quickstartDir, repoRoot, runCli, startGateway, startSandbox, writeConfigFolder } from './_harness.ts'

const GATEWAY = join(quickstartDir, 'tb_gateway.json')
const REST = join(quickstartDir, 'rest.json')
const DOCS_BODY = '{"sensorName": "SN-001", "sensorType": "Thermometer", "sensorModel": "T1000", "certificateNumber": "125sda47gsh", "temp": 32, "hum": 67}'

const withoutTs = (p: string): string => p.replace(/"ts":\d+/g, '"ts":0')

async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = runCli(['try', ...args])
  const code = await p.exited
  return { code, out: p.output() }
}

async function tryJson(args: string[]): Promise<{ code: number | null; report: TryReport }> {
  const { code, out } = await cli([...args, '--json'])
  return { code, report: JSON.parse(out) as TryReport }
}

describe('restgate try', { timeout: 180_000 }, () => {
  it("the docs' request: the endpoint, the 200 answer, the record and the exact Gateway API messages", async () => {
    const { code, out } = await cli(['--config', GATEWAY, '--endpoint', '/my_devices', '--method', 'POST', '--user', 'user:password', '--data', DOCS_BODY])
    expect(code).toBe(0)
    expect(out).toContain('POST /my_devices → mapping[0] (endpoint /my_devices, POST) of connector "REST Connector"')
    expect(out).toContain('The device would get: HTTP 200 (accepted)')
    expect(out).toContain('Device "SN-001" (type "Thermometer")')
    expect(out).toContain('temperature = 32 (long)')
    expect(out).toContain('v1/gateway/connect  {"device":"SN-001","type":"Thermometer"}')
    expect(out).toContain('v1/gateway/attributes  {"SN-001":{"connectorType":"rest","connectorName":"REST Connector","model":"T1000","T1000":"on"}}')

    const { code: jsonCode, report } = await tryJson([
      '--config',
      REST,
      '--header',
      `Authorization: Basic ${Buffer.from('user:password').toString('base64')}`,
      '--data',
      DOCS_BODY,
    ])
    expect(jsonCode).toBe(0)
    expect(report.match).toEqual({ kind: 'mapping', index: 0, endpoint: '/my_devices', methods: ['POST'], path: 'mapping[0]' })
    expect(report.outcome).toBe('accepted')
    expect(report.response.status).toBe(200)
    expect(JSON.parse(report.response.body)).toEqual({ status: 'ok', devices: 1, attributes: 2, telemetry: 2, dropped: [] })
    expect(report.records).toHaveLength(1)
    const record = report.records[0]!
    expect(record.device).toBe('SN-001')
    expect(record.type).toBe('Thermometer')
    expect(record.attributes).toEqual([
      { key: 'model', value: 'T1000', type: 'string' },
      { key: 'T1000', value: 'on', type: 'string' },
    ])
    expect(record.telemetry).toHaveLength(1)
    const ts = record.telemetry[0]!.ts
    expect(record.telemetry[0]!.values).toEqual([
      { key: 'temperature', value: 32, type: 'long' },
      { key: 'humidity', value: 67, type: 'long' },
    ])
    expect(report.dropped).toEqual([])
    expect(report.messages).toEqual([
      { topic: 'v1/gateway/connect', payload: '{"device":"SN-001","type":"Thermometer"}' },
      { topic: 'v1/gateway/attributes', payload: '{"SN-001":{"connectorType":"rest","connectorName":"REST Connector","model":"T1000","T1000":"on"}}' },
      { topic: 'v1/gateway/telemetry', payload: `{"SN-001":[{"ts":${ts},"values":{"temperature":32,"humidity":67}}]}` },
    ])
  })

  it('a missing key: the datapoint is dropped with its reason; a missing device name refuses the request (exit 1)', async () => {
    const noHum = DOCS_BODY.replace(', "hum": 67', '')
    const { code, report } = await tryJson(['-c', REST, '-u', 'user:password', '-d', noHum])
    expect(code).toBe(0)
    expect(report.dropped).toEqual([{ path: 'mapping[0].converter.timeseries[1].value', key: 'humidity', reason: 'missing ${hum}' }])
    expect(report.records[0]!.telemetry[0]!.values.map((v) => v.key)).toEqual(['temperature'])
    expect(report.messages.map((m) => m.topic)).toEqual(['v1/gateway/connect', 'v1/gateway/attributes', 'v1/gateway/telemetry'])

    const { code: refused, out } = await cli(['-c', REST, '-u', 'user:password', '-d', DOCS_BODY.replace('"sensorName": "SN-001", ', '')])
    expect(refused).toBe(1)
    expect(out).toContain('The device would get: HTTP 400 (refused)')
    expect(out).toContain('DEVICE_NAME_MISSING')
    expect(out).toContain('Messages to ThingsBoard: none')
  })

  it('an uncastable value: dropped with "cannot cast", the rest is sent', async () => {
    const { code, report } = await tryJson(['-c', REST, '-u', 'user:password', '-d', DOCS_BODY.replace('"temp": 32', '"temp": "warm"')])
    expect(code).toBe(0)
    expect(report.dropped).toEqual([{ path: 'mapping[0].converter.timeseries[0].value', key: 'temperature', reason: 'cannot cast "warm" to double' }])
    expect(report.records[0]!.telemetry[0]!.values).toEqual([{ key: 'humidity', value: 67, type: 'long' }])
    const { out } = await cli(['-c', REST, '-u', 'user:password', '-d', DOCS_BODY.replace('"temp": 32', '"temp": "warm"')])
    expect(out).toContain('Dropped datapoints (1):\n  mapping[0].converter.timeseries[0].value (key "temperature"): cannot cast "warm" to double')
  })

  it('an unknown path: no endpoint, the configured ones listed, 404, exit 1', async () => {
    const { code, report } = await tryJson(['-c', GATEWAY, '-e', '/nope', '-X', 'POST', '-d', DOCS_BODY])
    expect(code).toBe(1)
    expect(report.match).toEqual({ kind: 'none', reason: 'NOT_FOUND', endpoints: ['/my_devices', '/anon1'] })
    expect(report.response.status).toBe(404)
    expect(report.outcome).toBe('refused')
    expect(report.messages).toEqual([])
    const { out } = await cli(['-c', GATEWAY, '-e', '/nope'])
    expect(out).toContain('GET /nope → no endpoint at this path; configured: /my_devices, /anon1')
  })

  it('a wrong method: the allowed ones listed, 405, exit 1', async () => {
    const { code, report } = await tryJson(['-c', REST, '-e', '/my_devices', '-X', 'GET'])
    expect(code).toBe(1)
    expect(report.match).toEqual({ kind: 'none', reason: 'METHOD_NOT_ALLOWED', allowed: ['POST'] })
    expect(report.response.status).toBe(405)
    const { out } = await cli(['-c', REST, '-e', '/anon1', '-X', 'DELETE'])
    expect(out).toContain('DELETE /anon1 → wrong method: DELETE is not allowed here; allowed: GET, POST')
  })

  it('an array body (from a file): one record per element, drops carry the element index', async () => {
    const folder = writeConfigFolder({ brokerPort: 1883, connectors: {} })
    onTestFinished(folder.cleanup)
    const file = join(folder.dir, 'body.json')
    writeFileSync(
      file,
      JSON.stringify([
        { sensorName: 'SN-001', sensorType: 'Thermometer', sensorModel: 'T1000', temp: 32, hum: 67 },
        { sensorName: 'SN-002', sensorType: 'Thermometer', sensorModel: 'T2000', temp: 21.5 },
      ]),
    )
    const { code, report } = await tryJson(['-c', REST, '-u', 'user:password', '-d', `@${file}`])
    expect(code).toBe(0)
    expect(report.records.map((r) => r.device)).toEqual(['SN-001', 'SN-002'])
    expect(report.records[1]!.telemetry[0]!.values).toEqual([{ key: 'temperature', value: 21.5, type: 'double' }])
    expect(report.dropped).toEqual([{ path: 'mapping[0].converter.timeseries[1].value', key: 'humidity', reason: 'missing ${hum}', index: 1 }])
    expect(report.messages.filter((m) => m.topic === 'v1/gateway/connect').map((m) => m.payload)).toEqual([
      '{"device":"SN-001","type":"Thermometer"}',
      '{"device":"SN-002","type":"Thermometer"}',
    ])
  })

  it('endpoints that wait for ThingsBoard say what would be published and that a reply is needed', async () => {
    const rest = {
      host: '127.0.0.1',
      port: 5000,
      mapping: [
        {
          endpoint: '/ask',
          HTTPMethod: ['POST'],
          security: { type: 'anonymous' },
          converter: {
            type: 'json',
            deviceNameExpression: '${name}',
            deviceTypeExpression: 'default',
            attributes: [],
            timeseries: [{ type: 'integer', key: 'v', value: '${v}' }],
          },
          response: { responseExpected: true, timeout: 2, responseAttribute: 'answer' },
        },
      ],
      attributeRequests: [
        {
          endpoint: '/attrs',
          type: 'shared',
          HTTPMethods: ['POST'],
          security: { type: 'anonymous' },
          timeout: 3,
          deviceNameExpression: '${device}',
          attributeNameExpression: '${key}',
        },
      ],
    }
    const folder = writeConfigFolder({ brokerPort: 1883, connectors: { 'rest.json': rest } })
    onTestFinished(folder.cleanup)
    const restFile = join(folder.dir, 'rest.json')
    const asked = await tryJson(['-c', restFile, '-e', '/ask', '-d', '{"name":"D1","v":5}'])
    expect(asked.code).toBe(0)
    expect(asked.report.outcome).toBe('waiting')
    expect(asked.report.waitsFor).toContain('an update of attribute "answer" of device "D1"')
    expect(asked.report.messages.map((m) => m.topic)).toEqual(['v1/gateway/connect', 'v1/gateway/attributes', 'v1/gateway/telemetry'])

    const attrs = await cli(['-c', restFile, '-e', '/attrs', '-d', '{"device":"D1","key":"fw"}'])
    expect(attrs.code).toBe(0)
    expect(attrs.out).toContain('A reply from ThingsBoard is needed')
    expect(attrs.out).toContain('v1/gateway/attributes/request  {"id":1,"device":"D1","client":false,"keys":["fw"]}')
  })

  it("loads no MQTT client: tb-client's built messages entry (what try imports) reaches no mqtt import", () => {
    // the static imports of a built entry and of the chunks it imports, followed through the package's dist
    const importsOf = (file: string, seen = new Set<string>()): Set<string> => {
      const specifiers = new Set<string>()
      if (seen.has(file)) return specifiers
      seen.add(file)
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^import\s[^'"]*?["']([^'"]+)["']/gm)) {
        if (spec!.startsWith('.')) for (const s of importsOf(join(dirname(file), spec!), seen)) specifiers.add(s)
        else specifiers.add(spec!)
      }
      return specifiers
    }
    const dist = join(repoRoot, 'packages/tb-client/dist')
    expect(importsOf(join(dist, 'messages.mjs'))).not.toContain('mqtt')
    expect(importsOf(join(dist, 'index.mjs'))).toContain('mqtt') // (the walk sees it where it is)
    expect(readFileSync(join(repoRoot, 'apps/gateway/src/try.ts'), 'utf8')).not.toMatch(/from '@restgate\/tb-client'/)
  })

  it('usage and config errors exit 2', async () => {
    expect((await cli(['--endpoint', '/x'])).code).toBe(2)
    expect((await cli(['-c', REST, '--bogus'])).code).toBe(2)
    const missing = await cli(['-c', join(quickstartDir, 'nope.json')])
    expect(missing.code).toBe(2)
    expect(missing.out).toContain('cannot read')
  })
})

describe('restgate try and the running gateway', { timeout: 120_000 }, () => {
  it('publish the same messages for the same request (the payloads a real sandbox records)', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': await docsConfig(await freePort()) } })
    onTestFinished(folder.cleanup)
    const loaded = await loadGatewayFiles(folder.file)
    if (!loaded.ok) throw new Error('invalid config')
    const body = DOCS_BODY.replace('"hum": 67', '"hum": "wet"')
    const report = await createTryRunner({ connectors: loaded.value.connectors })({
      endpoint: '/my_devices',
      method: 'POST',
      headers: { authorization: basicAuth('user', 'password') },
      body,
    })
    const gw = await startGateway(folder.file)
    onTestFinished(() => gw.stop())
    const res = await fetch(`${gw.urls[0]}/my_devices`, {
      method: 'POST',
      headers: { authorization: basicAuth('user', 'password'), 'content-type': 'application/json' },
      body,
    })
    expect(res.status).toBe(report.response.status)
    expect(await res.text()).toBe(report.response.body)
    await sandbox.waitFor((s) => s.devices.get('SN-001')?.latest.temperature, 30_000)
    const published = sandbox.messages({ direction: 'up' }).filter((m) => m.topic.startsWith('v1/gateway/') && !m.topic.includes('rpc'))
    expect(published.map((m) => ({ topic: m.topic, payload: withoutTs(m.raw) }))).toEqual(
      report.messages.map((m) => ({ topic: m.topic, payload: withoutTs(m.payload) })),
    )
  })
})
