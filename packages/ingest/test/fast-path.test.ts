/**
 * The Node fast path and h3's own handler answer alike: each request is sent with a plain target
 * (served by the fast path) and with an equivalent one that h3 must normalise (`/./` prefix: served
 * through h3), and the answers and the stored records are compared.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createIngestServer, type IngestServer } from '../src/index.ts'
import { attributeRequest, basic, docsMyDevices, mapping, rawRequest, type RecordingSink, recordingSink, restConfig } from './helpers.ts'

let server: IngestServer
let url: string
let sink: RecordingSink

beforeAll(async () => {
  sink = recordingSink({
    accept: async (records) => {
      if (records[0]?.deviceName === 'full') throw Object.assign(new Error('full'), { code: 'OUTBOX_FULL', retryAfterSeconds: 7 })
    },
  })
  server = createIngestServer({
    config: restConfig({
      server: { bodyLimit: 200 },
      mapping: [docsMyDevices(0), mapping({ endpoint: '/dev/{name}', deviceName: '${name}', timeseries: [{ key: 't', value: '${t}', type: 'int' }] }, 1)],
      attributeRequests: [attributeRequest()],
    }),
    sink,
  })
  url = (await server.listen()).url
})

afterAll(async () => {
  await server.close()
})

const docs = JSON.stringify({ sensorName: 'SN-1', sensorType: 'T', sensorModel: 'M', temp: 21.5, hum: 40 })
const cases: Array<{ name: string; path: string; method?: string; headers?: Record<string, string>; body?: string }> = [
  {
    name: 'the docs request',
    path: '/my_devices',
    method: 'POST',
    headers: { authorization: basic('user', 'password'), 'content-type': 'application/json' },
    body: docs,
  },
  { name: 'wrong password', path: '/my_devices', method: 'POST', headers: { authorization: basic('user', 'nope') }, body: docs },
  { name: 'lower-case scheme', path: '/my_devices', method: 'POST', headers: { authorization: `basic ${basic('user', 'password').slice(6)}` }, body: docs },
  {
    name: 'bad JSON',
    path: '/my_devices',
    method: 'POST',
    headers: { authorization: basic('user', 'password'), 'content-type': 'application/json' },
    body: '{"a":',
  },
  { name: 'body over the limit', path: '/my_devices', method: 'POST', headers: { authorization: basic('user', 'password') }, body: 'x'.repeat(300) },
  {
    name: 'unsupported type',
    path: '/my_devices',
    method: 'POST',
    headers: { authorization: basic('user', 'password'), 'content-type': 'image/png' },
    body: 'x',
  },
  { name: 'device name missing', path: '/my_devices', method: 'POST', headers: { authorization: basic('user', 'password') }, body: '{"temp":1}' },
  { name: 'path params, query wins over body', path: '/dev/SN-7?t=3', method: 'POST', body: '{"t":9}' },
  { name: 'query only', path: '/dev/SN-8?t=4', method: 'POST' },
  { name: 'array body', path: '/dev/SN-9', method: 'POST', body: '[{"t":1},{"t":2}]' },
  { name: 'form body', path: '/dev/SN-10', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 't=5' },
  { name: 'no data', path: '/dev/SN-11', method: 'POST' },
  { name: 'outbox full', path: '/dev/full?t=1', method: 'POST' },
  { name: 'attribute request', path: '/sharedAttributes', method: 'POST', body: '{"deviceName":"SN-1","attribute":"fw"}' },
]

/** Timestamps are the arrival times: equal up to the time between the two requests. */
const strip = (list: unknown): unknown => JSON.parse(JSON.stringify(list).replace(/"ts":\d+/g, '"ts":0'))

describe('the Node fast path answers as h3 does', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const before = sink.accepted.length
      const fast = await rawRequest(url, { path: c.path, method: c.method, headers: c.headers, body: c.body })
      const fastRecords = sink.accepted.slice(before).map((a) => a.records)
      const mid = sink.accepted.length
      const viaH3 = await rawRequest(url, { path: `/.${c.path}`, method: c.method, headers: c.headers, body: c.body })
      const h3Records = sink.accepted.slice(mid).map((a) => a.records)
      expect(fast.status).toBe(viaH3.status)
      expect(fast.body).toBe(viaH3.body)
      for (const h of ['content-type', 'content-length', 'www-authenticate', 'retry-after', 'connection'])
        expect([h, fast.headers[h]]).toEqual([h, viaH3.headers[h]])
      expect(strip(fastRecords)).toEqual(strip(h3Records))
    })
  }

  test('the fast path answered the docs request with the docs result', async () => {
    const res = await rawRequest(url, { path: '/my_devices', method: 'POST', headers: { authorization: basic('user', 'password') }, body: docs })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ status: 'ok', devices: 1, attributes: 2, telemetry: 2, dropped: [] })
  })
})
