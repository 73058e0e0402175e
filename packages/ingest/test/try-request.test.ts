/** `tryRequest`: the dry run goes through the real server (same answers) and reports what it reached. */
import { describe, expect, it } from 'vitest'
import { loadTryConverters, tryRequest } from '../src/index.ts'
import { attributeRequest, docsMyDevices, mapping, restConfig } from './helpers.ts'

const AUTH = `Basic ${Buffer.from('user:password').toString('base64')}`
const post = (path: string, body: string, headers: Record<string, string> = {}): Request =>
  new Request(`http://127.0.0.1:5000${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTH, ...headers }, body })

describe('tryRequest', () => {
  const config = restConfig({
    mapping: [
      docsMyDevices(0),
      mapping(
        {
          endpoint: '/wait/{id}',
          deviceName: '${id}',
          timeseries: [{ key: 'v', value: '${v}' }],
          response: { responseExpected: true, responseAttribute: 'ack', timeout: 3 },
        },
        1,
      ),
    ],
    attributeRequests: [attributeRequest({ timeout: 4 })],
  })

  it('reports the mapping reached, the answer, the records and the drops', async () => {
    const r = await tryRequest(config, post('/my_devices', '{"sensorName":"SN-1","sensorType":"T","sensorModel":"M","temp":"hot","hum":5}'))
    expect(r.match).toEqual({ kind: 'mapping', index: 0, endpoint: '/my_devices', methods: ['POST'], path: 'mapping[0]' })
    expect(r.response.status).toBe(200)
    expect(r.response.headers['content-type']).toContain('application/json')
    expect(r.records).toEqual([
      { deviceName: 'SN-1', deviceType: 'T', attributes: { model: 'M', M: 'on' }, telemetry: [{ ts: expect.any(Number), values: { humidity: 5 } }] },
    ])
    expect(r.dropped).toEqual([{ path: 'mapping[0].converter.timeseries[0].value', key: 'temperature', reason: 'cannot cast "hot" to double' }])
    expect(JSON.parse(r.response.body).dropped).toHaveLength(1)
  })

  it('refusals before the converter keep the endpoint: bad credentials, bad JSON', async () => {
    const denied = await tryRequest(config, post('/my_devices', '{}', { authorization: 'Basic eDp5' }))
    expect(denied.match.kind).toBe('mapping')
    expect(denied.response.status).toBe(401)
    expect(denied.records).toEqual([])
    const broken = await tryRequest(config, post('/my_devices', '{"a":'))
    expect(broken.response.status).toBe(400)
    expect(broken.match.kind).toBe('mapping')
  })

  it('no match: NOT_FOUND with the endpoints, METHOD_NOT_ALLOWED with the allowed methods', async () => {
    const unknown = await tryRequest(config, new Request('http://127.0.0.1:5000/nope'))
    expect(unknown.match).toEqual({ kind: 'none', reason: 'NOT_FOUND', endpoints: ['/my_devices', '/wait/{id}', '/sharedAttributes'] })
    expect(unknown.response.status).toBe(404)
    const wrong = await tryRequest(config, new Request('http://127.0.0.1:5000/my_devices', { method: 'PUT' }))
    expect(wrong.match).toEqual({ kind: 'none', reason: 'METHOD_NOT_ALLOWED', allowed: ['POST'] })
    expect(wrong.response.status).toBe(405)
  })

  it('what waits for ThingsBoard is recorded and answered as if ThingsBoard never replied', async () => {
    const waits = await tryRequest(config, post('/wait/D7', '{"v":1}'))
    expect(waits.match).toMatchObject({ kind: 'mapping', index: 1 })
    expect(waits.awaitsAttribute).toEqual({ device: 'D7', key: 'ack', timeoutMs: 3000 })
    expect(waits.records.map((x) => x.deviceName)).toEqual(['D7'])
    expect(waits.response.status).toBe(408)
    const asks = await tryRequest(config, post('/sharedAttributes', '{"deviceName":"D7","attribute":"fw"}'))
    expect(asks.match).toMatchObject({ kind: 'attributeRequest', index: 0 })
    expect(asks.attributeRequest).toEqual({ device: 'D7', keys: ['fw'], client: false, timeoutMs: 4000 })
    expect(asks.response.status).toBe(408)
  })

  it('converters loaded once can be reused across runs', async () => {
    const converters = await loadTryConverters(config)
    for (const temp of [1, 2]) {
      const r = await tryRequest(config, post('/my_devices', JSON.stringify({ sensorName: 'S', sensorType: 'T', sensorModel: 'M', temp, hum: 0 })), {
        converters,
      })
      expect(r.records[0]!.telemetry[0]!.values).toEqual({ temperature: temp, humidity: 0 })
    }
  })
})
