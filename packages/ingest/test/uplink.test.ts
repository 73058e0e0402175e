/** Data in: the docs' examples and every body format, against a real server and a recording sink. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createIngestServer, type IngestServer } from '../src/index.ts'
import { basic, configDirWithConverters, docsMyDevices, mapping, rawRequest, type RecordingSink, recordingSink, restConfig } from './helpers.ts'

let server: IngestServer
let url: string
let sink: RecordingSink
let cleanup: () => Promise<void>

beforeAll(async () => {
  const config = await configDirWithConverters()
  cleanup = config.cleanup
  sink = recordingSink()
  server = createIngestServer({
    config: restConfig({
      configDir: config.dir,
      mapping: [
        docsMyDevices(0),
        // the docs' /anon1 with its custom converter, found as extensions/rest/CustomConverter.mjs
        mapping({ endpoint: '/anon1', methods: ['GET', 'POST'], extension: 'CustomConverter', deviceName: 'Device 2' }, 1),
        // the shipped config's /anon1 variant with the JSON converter
        mapping(
          {
            endpoint: '/anon-json',
            methods: ['GET', 'POST'],
            deviceName: 'Device 2',
            attributes: [{ key: 'model', value: 'Model2' }],
            timeseries: [
              { key: 'temperature', value: '${temp}', type: 'double' },
              { key: 'humidity', value: '${hum}', type: 'double' },
            ],
          },
          2,
        ),
        mapping({ endpoint: '/dev/{name}', deviceName: '${name}', timeseries: [{ key: 't', value: '${t}', type: 'int' }] }, 3),
        mapping(
          {
            endpoint: '/text',
            deviceName: 'Text Device',
            attributes: [{ key: 'model', value: 'M' }],
            timeseries: [{ key: 'line', value: '${text}' }],
          },
          4,
        ),
        mapping(
          {
            endpoint: '/multipart',
            deviceName: '${device}',
            attributes: [{ key: 'k', value: '${meta.k}', type: 'int' }],
            timeseries: [
              { key: 'temperature', value: '${temp}', type: 'double' },
              { key: 'humidity', value: '${hum}', type: 'double' },
            ],
          },
          5,
        ),
        mapping({ endpoint: '/raw', methods: ['POST', 'PUT'], extension: 'RawConverter' }, 6),
        mapping({ endpoint: '/ok-text', deviceName: 'D', timeseries: [{ key: 'v', value: '${v}' }], response: { successResponse: 'OK' } }, 7),
        mapping({ endpoint: '/ok-json', deviceName: 'D', timeseries: [{ key: 'v', value: '${v}' }], response: { successResponse: { done: true } } }, 8),
      ],
    }),
    sink,
  })
  ;({ url } = await server.listen())
})

afterAll(async () => {
  await server.close()
  await cleanup()
})

function lastRecords() {
  const call = sink.accepted.at(-1)
  if (!call) throw new Error('nothing was accepted')
  return call.records
}

describe('the docs example', () => {
  test("curl -X POST -u user:password -d '{...}' (form content type, JSON body)", async () => {
    const res = await fetch(`${url}/my_devices`, {
      method: 'POST',
      headers: { authorization: basic('user', 'password'), 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"sensorName": "SN-001", "sensorType": "Thermometer", "sensorModel": "T1000", "certificateNumber": "125sda47gsh", "temp": 32, "hum": 67}',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res.json()).toEqual({ status: 'ok', devices: 1, attributes: 2, telemetry: 2, dropped: [] })
    expect(sink.accepted.at(-1)?.connectorName).toBe('REST Connector')
    const [record] = lastRecords()
    expect(record).toMatchObject({
      deviceName: 'SN-001',
      deviceType: 'Thermometer',
      attributes: { model: 'T1000', T1000: 'on' },
      telemetry: [{ values: { temperature: 32, humidity: 67 } }],
    })
  })

  test('GET /anon1?temp=20.5&hum=30 through the custom converter', async () => {
    const res = await fetch(`${url}/anon1?temp=20.5&hum=30`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok', devices: 1, attributes: 1, telemetry: 2 })
    expect(lastRecords()).toEqual([
      {
        deviceName: 'Device 2',
        deviceType: 'default',
        attributes: { model: 'Model2' },
        telemetry: [{ ts: expect.any(Number), values: { temperature: 20.5, humidity: 30 } }],
      },
    ])
  })

  test('GET with a query through the JSON converter casts the strings', async () => {
    const before = Date.now()
    const res = await fetch(`${url}/anon-json?temp=20.5&hum=30`)
    expect(res.status).toBe(200)
    const [record] = lastRecords()
    expect(record).toMatchObject({ deviceName: 'Device 2', attributes: { model: 'Model2' }, telemetry: [{ values: { temperature: 20.5, humidity: 30 } }] })
    expect(record?.telemetry[0]?.ts).toBeGreaterThanOrEqual(before)
  })
})

describe('body formats', () => {
  test('form fields', async () => {
    const res = await fetch(`${url}/anon-json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'temp=21&hum=31' })
    expect(res.status).toBe(200)
    expect(lastRecords()[0]?.telemetry[0]?.values).toEqual({ temperature: 21, humidity: 31 })
  })

  test('text becomes { text }', async () => {
    const res = await fetch(`${url}/text`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello world' })
    expect(res.status).toBe(200)
    expect(lastRecords()[0]).toMatchObject({ deviceName: 'Text Device', attributes: { model: 'M' }, telemetry: [{ values: { line: 'hello world' } }] })
  })

  test('multipart: fields, JSON parts parsed, files ignored', async () => {
    const form = new FormData()
    form.append('device', 'MP-1')
    form.append('temp', '22')
    form.append('hum', '33')
    form.append('f', new Blob([new Uint8Array([0, 1, 2])], { type: 'application/octet-stream' }), 'a.bin')
    // a JSON part without a file name, as curl -F 'meta={"k":1};type=application/json' sends it
    const boundary = '----restgate-test'
    const raw = [
      `--${boundary}\r\nContent-Disposition: form-data; name="device"\r\n\r\nMP-1\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="temp"\r\n\r\n22\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="hum"\r\n\r\n33\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n{"k":1}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\u0000\u0001\u0002\r\n`,
      `--${boundary}--\r\n`,
    ].join('')
    const res = await fetch(`${url}/multipart`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: raw })
    expect(res.status).toBe(200)
    expect(lastRecords()[0]).toMatchObject({ deviceName: 'MP-1', attributes: { k: 1 }, telemetry: [{ values: { temperature: 22, humidity: 33 } }] })
    // and what fetch's FormData produces
    const res2 = await fetch(`${url}/multipart`, { method: 'POST', body: form })
    expect(res2.status).toBe(200)
    expect(lastRecords()[0]).toMatchObject({ deviceName: 'MP-1', telemetry: [{ values: { temperature: 22, humidity: 33 } }] })
  })

  test('a JSON array converts every element, nothing dropped', async () => {
    const res = await fetch(`${url}/my_devices`, {
      method: 'POST',
      headers: { authorization: basic('user', 'password'), 'content-type': 'application/json' },
      body: JSON.stringify([
        { sensorName: 'SN-A', sensorType: 'T', temp: 1 },
        { sensorName: 'SN-B', sensorType: 'T', temp: 2 },
        { sensorName: 'SN-A', sensorType: 'T', temp: 3 },
      ]),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { devices: number; telemetry: number }
    expect(body.devices).toBe(2)
    expect(body.telemetry).toBe(3)
    expect(lastRecords().map((r) => [r.deviceName, r.telemetry[0]?.values.temperature])).toEqual([
      ['SN-A', 1],
      ['SN-B', 2],
      ['SN-A', 3],
    ])
  })

  test('path parameters, percent-decoded', async () => {
    expect((await fetch(`${url}/dev/Pump-7`, { method: 'POST', body: '{"t":3}' })).status).toBe(200)
    expect(lastRecords()[0]).toMatchObject({ deviceName: 'Pump-7', telemetry: [{ values: { t: 3 } }] })
    expect((await fetch(`${url}/dev/Pump%207`, { method: 'POST', body: '{"t":4}' })).status).toBe(200)
    expect(lastRecords()[0]?.deviceName).toBe('Pump 7')
  })

  test('the query wins over body and path parameters', async () => {
    const res = await fetch(`${url}/my_devices?temp=99`, {
      method: 'POST',
      headers: { authorization: basic('user', 'password') },
      body: '{"sensorName":"SN-Q","sensorType":"T","temp":1}',
    })
    expect(res.status).toBe(200)
    expect(lastRecords()[0]?.telemetry[0]?.values.temperature).toBe(99)
    expect((await fetch(`${url}/dev/FromPath?name=FromQuery`, { method: 'POST', body: '{"t":1,"name":"FromBody"}' })).status).toBe(200)
    expect(lastRecords()[0]?.deviceName).toBe('FromQuery')
  })

  test('dropped datapoints are reported in the answer', async () => {
    const res = await fetch(`${url}/my_devices`, {
      method: 'POST',
      headers: { authorization: basic('user', 'password') },
      body: '{"sensorName":"SN-D","sensorType":"T","sensorModel":"M","temp":"warm"}',
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { telemetry: number; dropped: Array<{ path: string; key: string | null; reason: string }> }
    expect(body.telemetry).toBe(0)
    expect(body.dropped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: expect.stringContaining('mapping[0].converter.timeseries[0]'), key: 'temperature', reason: expect.any(String) }),
        expect.objectContaining({ path: expect.stringContaining('mapping[0].converter.timeseries[1]'), key: 'humidity', reason: expect.any(String) }),
      ]),
    )
  })
})

describe('custom converters', () => {
  test('get the raw bytes of any body, but not the Authorization header', async () => {
    const res = await fetch(`${url}/raw`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-test': 'yes', authorization: 'Bearer something' },
      body: new Uint8Array([0xff, 0xfe, 0x00]),
    })
    expect(res.status).toBe(200)
    expect(lastRecords()[0]?.attributes).toMatchObject({
      length: 3,
      first: 0xff,
      contentType: 'application/octet-stream',
      header: 'yes',
      authorization: 'none',
      method: 'POST',
      path: '/raw',
    })
  })

  test('accept content types the JSON converter refuses', async () => {
    const res = await fetch(`${url}/raw?x=1`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array([137, 80, 78, 71]) })
    expect(res.status).toBe(200)
    expect(lastRecords()[0]?.attributes).toMatchObject({ length: 4, contentType: 'image/png', data: { x: '1' } })
  })
})

describe('configured success bodies', () => {
  test('a string is sent as text', async () => {
    const res = await fetch(`${url}/ok-text`, { method: 'POST', body: '{"v":1}' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('OK')
  })

  test('anything else as JSON', async () => {
    const res = await fetch(`${url}/ok-json`, { method: 'POST', body: '{"v":1}' })
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res.json()).toEqual({ done: true })
  })
})

test('HEAD is refused on a GET endpoint unless configured (as the original)', async () => {
  const res = await rawRequest(url, { method: 'HEAD', path: '/anon1?temp=1' })
  expect(res.status).toBe(405)
  expect(res.headers.allow).toBe('GET, POST')
})
