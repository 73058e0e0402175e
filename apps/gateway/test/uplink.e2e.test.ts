/**
 * Uplink end to end: the real gateway on the docs' example config, a real sandbox broker standing
 * in for ThingsBoard, real HTTP requests; every MQTT message checked as it arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '@restgate/sandbox'
import { basicAuth, docsConfig, freePort, startGateway, startSandbox, writeConfigFolder, type RunningGateway } from './_harness.ts'

const AUTH = basicAuth('user', 'password')

/** Raw payloads the sandbox received on `topic` mentioning `device`, parsed. */
function published(sandbox: Sandbox, kind: 'connect' | 'attributes' | 'telemetry', device: string): unknown[] {
  return sandbox.messages({ kind, device }).map((m) => JSON.parse(m.raw))
}

describe('uplink on the docs example config', () => {
  let sandbox: Sandbox & { port: number }
  let gw: RunningGateway
  let folder: ReturnType<typeof writeConfigFolder>
  let base: string

  beforeAll(async () => {
    sandbox = await startSandbox()
    const port = await freePort()
    folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': await docsConfig(port) } })
    gw = await startGateway(folder.file)
    base = gw.urls[0]!
    expect(base).toBe(`http://127.0.0.1:${port}`)
  })
  afterAll(async () => {
    await gw?.stop()
    await sandbox?.stop()
    folder?.cleanup()
  })

  it("the docs' curl (form content type, JSON body, basic auth) creates the device with typed data", async () => {
    const res = await fetch(`${base}/my_devices`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"sensorName": "SN-001", "sensorType": "Thermometer", "sensorModel": "T1000", "certificateNumber": "125sda47gsh", "temp": 32, "hum": 67}',
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok', devices: 1 })
    const device = await sandbox.waitFor((s) => {
      const d = s.devices.get('SN-001')
      return d && d.telemetry.length > 0 && Object.keys(d.attributes).length >= 2 ? d : undefined
    })
    expect(device.type).toBe('Thermometer')
    expect(device.autoCreated).toBe(false)
    expect(device.dataBeforeConnect).toBe(0)
    expect(published(sandbox, 'connect', 'SN-001')).toEqual([{ device: 'SN-001', type: 'Thermometer' }])
    const attrs = published(sandbox, 'attributes', 'SN-001') as Array<Record<string, Record<string, unknown>>>
    expect(Object.assign({}, ...attrs.map((a) => a['SN-001']))).toMatchObject({ model: 'T1000', T1000: 'on' })
    const telemetry = published(sandbox, 'telemetry', 'SN-001') as Array<Record<string, Array<{ ts: number; values: unknown }>>>
    expect(telemetry).toHaveLength(1)
    expect(telemetry[0]!['SN-001']).toEqual([{ ts: expect.any(Number), values: { temperature: 32, humidity: 67 } }])
  })

  it('GET /anon1 with a query goes through the CustomConverter the docs name', async () => {
    const res = await fetch(`${base}/anon1?temp=20.5&hum=30`)
    expect(res.status).toBe(200)
    const device = await sandbox.waitFor((s) => {
      const d = s.devices.get('Device 2')
      return d && d.latest.temperature?.value === 20.5 ? d : undefined
    })
    expect(device.type).toBe('default')
    expect(device.attributes).toMatchObject({ model: 'Model2' })
    expect(device.latest.humidity?.value).toBe(30)
  })

  it('form and text bodies reach the converter', async () => {
    const form = await fetch(`${base}/anon1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'temp=21&hum=31' })
    expect(form.status).toBe(200)
    await sandbox.waitFor((s) => s.devices.get('Device 2')?.latest.temperature?.value === 21)
    expect(sandbox.state.devices.get('Device 2')!.latest.humidity?.value).toBe(31)
    const text = await fetch(`${base}/anon1`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '22.5,41' })
    expect(text.status).toBe(200)
    await sandbox.waitFor((s) => s.devices.get('Device 2')?.latest.temperature?.value === 22.5)
    expect(sandbox.state.devices.get('Device 2')!.latest.humidity?.value).toBe(41)
  })

  it('a JSON array body delivers every element, each its own device', async () => {
    const res = await fetch(`${base}/my_devices`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify([
        { sensorName: 'SN-A', sensorType: 'Thermometer', sensorModel: 'T1', temp: 1, hum: 2 },
        { sensorName: 'SN-B', sensorType: 'Hygrometer', sensorModel: 'H1', temp: 3, hum: 4 },
      ]),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ devices: 2 })
    const [a, b] = await sandbox.waitFor((s) => {
      const first = s.devices.get('SN-A')
      const second = s.devices.get('SN-B')
      return first?.telemetry.length && second?.telemetry.length ? [first, second] : undefined
    })
    expect(a!.type).toBe('Thermometer')
    expect(b!.type).toBe('Hygrometer')
    expect(b!.latest.temperature?.value).toBe(3)
  })

  it('missing values are dropped and reported, never sent as placeholder text', async () => {
    const res = await fetch(`${base}/my_devices`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ sensorName: 'SN-002', temp: 1 }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { dropped: Array<{ reason: string }> }
    expect(body.dropped.map((d) => d.reason).join(' ')).toMatch(/hum/)
    const d = await sandbox.waitFor((s) => s.devices.get('SN-002'))
    expect(d.type).toBe('default')
    expect(JSON.stringify(sandbox.messages({ device: 'SN-002' }).map((m) => m.raw))).not.toContain('${')
  })

  it('answers every error with the status docs/spec/DECISIONS.md lists and a JSON body', async () => {
    const cases: Array<[string, RequestInit, number]> = [
      ['/my_devices', { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{bad' }, 400],
      ['/my_devices', { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '42' }, 400],
      ['/my_devices', { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{"temp":1}' }, 400],
      ['/my_devices', { method: 'POST', body: '{"sensorName":"X"}' }, 401],
      ['/my_devices', { method: 'POST', headers: { authorization: basicAuth('user', 'wrong') }, body: '{"sensorName":"X"}' }, 401],
      ['/my_devices', { method: 'POST', headers: { authorization: 'Bearer abc' }, body: '{"sensorName":"X"}' }, 401],
      ['/nope', { method: 'POST', body: '{}' }, 404],
      ['/my_devices', { method: 'PUT', headers: { authorization: AUTH }, body: '{}' }, 405],
      [
        '/my_devices',
        {
          method: 'POST',
          headers: { authorization: AUTH, 'content-type': 'application/json' },
          body: JSON.stringify({ sensorName: 'big', pad: 'x'.repeat(1_100_000) }),
        },
        413,
      ],
      ['/anon1', { method: 'GET' }, 415],
    ]
    for (const [path, init, status] of cases) {
      const res = await fetch(base + path, init)
      expect({ path, method: init.method, status: res.status }).toEqual({ path, method: init.method, status })
      expect(res.headers.get('content-type')).toMatch(/json/)
      const body = (await res.json()) as { code: string; message: string }
      expect(typeof body.message).toBe('string')
      if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Basic/)
      if (status === 405) expect(res.headers.get('allow')).toBe('POST')
    }
    expect(sandbox.state.devices.has('X')).toBe(false)
    expect(sandbox.state.devices.has('big')).toBe(false)
  })
})

describe('uplink: path parameters, two connectors at once', () => {
  let sandbox: Sandbox & { port: number }
  let gw: RunningGateway
  let folder: ReturnType<typeof writeConfigFolder>

  beforeAll(async () => {
    sandbox = await startSandbox()
    const [p1, p2] = [await freePort(), await freePort()]
    const pathParams = {
      server: { host: '127.0.0.1', port: p2 },
      mapping: [
        {
          endpoint: '/dev/{name}',
          HTTPMethods: ['POST'],
          converter: {
            type: 'json',
            deviceInfo: { deviceNameExpression: '${name}', deviceProfileExpression: 'pump', deviceProfileExpressionSource: 'constant' },
            timeseries: [{ type: 'int', key: 't', value: '${t}' }],
          },
        },
      ],
    }
    folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': await docsConfig(p1), 'pumps.json': pathParams } })
    gw = await startGateway(folder.file)
  })
  afterAll(async () => {
    await gw?.stop()
    await sandbox?.stop()
    folder?.cleanup()
  })

  it('serves both connectors and delivers through one ThingsBoard session', async () => {
    expect(gw.urls).toHaveLength(2)
    const [docs, pumps] = gw.urls as [string, string]
    const r1 = await fetch(`${pumps}/dev/Pump-7?t=4`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"t":3}' })
    expect(r1.status).toBe(200)
    const r2 = await fetch(`${docs}/anon1?temp=5&hum=6`)
    expect(r2.status).toBe(200)
    const pump = await sandbox.waitFor((s) => (s.devices.get('Pump-7')?.telemetry.length ? s.devices.get('Pump-7') : undefined))
    expect(pump.type).toBe('pump')
    expect(pump.telemetry[0]!.values).toEqual({ t: 4 }) // query wins over the body
    await sandbox.waitFor((s) => s.devices.get('Device 2')?.latest.temperature?.value === 5)
    const connectorNames = sandbox
      .messages({ kind: 'attributes' })
      .map((m) => JSON.parse(m.raw) as Record<string, Record<string, unknown>>)
      .flatMap((p) => Object.entries(p).map(([dev, a]) => [dev, a.connectorName]))
      .filter(([, n]) => n !== undefined)
    expect(connectorNames).toEqual(
      expect.arrayContaining([
        ['Pump-7', 'REST Connector 2'],
        ['Device 2', 'REST Connector'],
      ]),
    )
  })
})
