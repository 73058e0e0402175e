/**
 * Issue 11 on the ingest server, every case through BOTH ingest paths: a plain target is served by
 * the Node fast path (`_node-listener.ts`), the same request with a `/./` prefix by h3's own
 * handler; the answers and the stored records must be the same, and as expected.
 */
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createIngestServer, type IngestServer } from '../src/index.ts'
import { attributeRequest, basic, mapping, memoryLogger, rawRequest, type RawResponse, type RecordingSink, recordingSink, restConfig } from './helpers.ts'

let server: IngestServer
let url: string
let sink: RecordingSink
const logger = memoryLogger()

beforeAll(async () => {
  sink = recordingSink({ requestAttributes: async (r) => ({ id: 1, device: r.device, values: { all: true } }) })
  server = createIngestServer({
    config: restConfig({
      server: { bodyLimit: 4096, maxJsonDepth: 8, maxArrayElements: 5, maxJsonKeys: 40 },
      mapping: [
        mapping(
          { endpoint: '/const', deviceName: 'Const', attributes: [{ key: 'model', value: 'M2' }], timeseries: [{ key: 't', value: '${t}', type: 'double' }] },
          0,
        ),
        mapping({ endpoint: '/dev', deviceName: '${name}', timeseries: [{ key: 'v', value: '${v}', type: 'json' }] }, 1),
        mapping(
          {
            endpoint: '/secure',
            deviceName: '${name}',
            security: { type: 'basic', users: [{ username: 'u', password: 'p' }] },
            timeseries: [{ key: 'v', value: '${v}' }],
          },
          2,
        ),
      ],
      attributeRequests: [attributeRequest()],
    }),
    sink,
    logger,
  })
  url = (await server.listen()).url
})

afterAll(async () => {
  await server.close()
})

const json = { 'content-type': 'application/json' }
const body = (v: unknown): string => JSON.stringify(v)

interface Case {
  name: string
  path: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  status: number
  code?: string
}

const cases: Case[] = [
  { name: 'empty POST, constant device: converter runs', path: '/const', status: 200 },
  { name: 'empty POST, device from the request: 400', path: '/dev', status: 400, code: 'DEVICE_NAME_MISSING' },
  { name: 'gzip body', path: '/dev', headers: { ...json, 'content-encoding': 'gzip' }, body: gzipSync(body({ name: 'GZ', v: 1 })), status: 200 },
  { name: 'x-gzip body', path: '/dev', headers: { ...json, 'content-encoding': 'X-GZIP' }, body: gzipSync(body({ name: 'XGZ', v: 1 })), status: 200 },
  {
    name: 'deflate (zlib) body',
    path: '/dev',
    headers: { ...json, 'content-encoding': 'deflate' },
    body: deflateSync(body({ name: 'DF', v: 1 })),
    status: 200,
  },
  {
    name: 'deflate (raw) body',
    path: '/dev',
    headers: { ...json, 'content-encoding': 'deflate' },
    body: deflateRawSync(body({ name: 'DR', v: 1 })),
    status: 200,
  },
  { name: 'identity', path: '/dev', headers: { ...json, 'content-encoding': 'identity' }, body: body({ name: 'ID', v: 1 }), status: 200 },
  {
    name: 'zip bomb: small as sent, over the limit inflated',
    path: '/dev',
    headers: { ...json, 'content-encoding': 'gzip' },
    body: gzipSync(Buffer.alloc(1024 * 1024, 0x20)),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  { name: 'corrupt gzip', path: '/dev', headers: { ...json, 'content-encoding': 'gzip' }, body: 'not gzip', status: 400, code: 'INVALID_COMPRESSION' },
  {
    name: 'br: 415',
    path: '/dev',
    headers: { ...json, 'content-encoding': 'br' },
    body: body({ name: 'BR', v: 1 }),
    status: 415,
    code: 'UNSUPPORTED_ENCODING',
  },
  { name: 'two codings: 415', path: '/dev', headers: { ...json, 'content-encoding': 'gzip, gzip' }, body: 'x', status: 415, code: 'UNSUPPORTED_ENCODING' },
  { name: 'within the depth limit', path: '/dev', headers: json, body: `{"name":"D7","v":${'['.repeat(6)}1${']'.repeat(6)}}`, status: 200 },
  {
    name: 'over the depth limit',
    path: '/dev',
    headers: json,
    body: `{"name":"D9","v":${'['.repeat(8)}1${']'.repeat(8)}}`,
    status: 400,
    code: 'BODY_TOO_DEEP',
  },
  {
    name: 'over the depth limit, form content type',
    path: '/dev',
    body: `{"name":"D9","v":${'{"a":'.repeat(8)}1${'}'.repeat(8)}}`,
    status: 400,
    code: 'BODY_TOO_DEEP',
  },
  { name: 'brackets inside strings do not count', path: '/dev', headers: json, body: body({ name: '[[[[[[[[[[', v: '{{{{{{{{{{{{' }), status: 200 },
  { name: 'five elements', path: '/dev', headers: json, body: body(Array.from({ length: 5 }, (_, i) => ({ name: `E${i}`, v: i }))), status: 200 },
  {
    name: 'six elements',
    path: '/dev',
    headers: json,
    body: body(Array.from({ length: 6 }, (_, i) => ({ name: `E${i}`, v: i }))),
    status: 413,
    code: 'TOO_MANY_ELEMENTS',
  },
  {
    name: 'too many keys',
    path: '/dev',
    headers: json,
    body: body({ name: 'K', v: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])) }),
    status: 413,
    code: 'TOO_MANY_KEYS',
  },
  { name: '1e400 in a json datapoint: dropped, reported', path: '/dev', headers: json, body: '{"name":"INF","v":[1,1e400]}', status: 200 },
  { name: 'attribute request naming no attribute', path: '/sharedAttributes', headers: json, body: '{"deviceName":"TY-1"}', status: 200 },
]

/** Timestamps are arrival times: equal up to the time between the two requests. */
const strip = (list: unknown): unknown => JSON.parse(JSON.stringify(list).replace(/"ts":\d+/g, '"ts":0'))

async function both(c: Case): Promise<{ fast: RawResponse; viaH3: RawResponse; fastRecords: unknown; h3Records: unknown }> {
  const before = sink.accepted.length
  const fast = await rawRequest(url, { path: c.path, method: 'POST', headers: c.headers, body: c.body })
  const mid = sink.accepted.length
  const viaH3 = await rawRequest(url, { path: `/.${c.path}`, method: 'POST', headers: c.headers, body: c.body })
  return {
    fast,
    viaH3,
    fastRecords: sink.accepted.slice(before, mid).map((a) => a.records),
    h3Records: sink.accepted.slice(mid).map((a) => a.records),
  }
}

describe('both ingest paths answer the hardening cases alike, and as expected', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const { fast, viaH3, fastRecords, h3Records } = await both(c)
      expect(fast.status).toBe(c.status)
      if (c.code !== undefined) expect(JSON.parse(fast.body)).toMatchObject({ code: c.code })
      expect(viaH3.status).toBe(fast.status)
      expect(viaH3.body).toBe(fast.body)
      expect(strip(h3Records)).toEqual(strip(fastRecords))
      if (c.status !== 200 || c.path === '/sharedAttributes') expect(fastRecords).toEqual([])
    })
  }

  test('what the cases delivered', async () => {
    const { fastRecords } = await both(cases[0] as Case)
    expect(strip(fastRecords)).toEqual([[{ deviceName: 'Const', deviceType: 'default', attributes: { model: 'M2' }, telemetry: [] }]])
    const gz = await both(cases[2] as Case)
    expect(strip(gz.fastRecords)).toEqual([[{ deviceName: 'GZ', deviceType: 'default', attributes: {}, telemetry: [{ ts: 0, values: { v: 1 } }] }]])
    const inf = await both(cases.find((c) => c.name.startsWith('1e400')) as Case)
    expect(inf.fastRecords).toEqual([])
    expect(JSON.parse(inf.fast.body)).toMatchObject({ telemetry: 0, dropped: [{ key: 'v', reason: expect.stringContaining('not finite') }] })
    expect(sink.attributeRequests.map((r) => r.request)).toContainEqual({ device: 'TY-1', keys: [], client: false })
  })

  test('a Content-Length over the limit is refused before inflating anything', async () => {
    const res = await rawRequest(url, { path: '/dev', method: 'POST', headers: { ...json, 'content-encoding': 'gzip' }, body: Buffer.alloc(5000) })
    expect(res.status).toBe(413)
  })
})

describe('log lines', () => {
  test('failed authentications: WARN once per endpoint and source, then a count; values as data fields', async () => {
    const start = logger.lines.length
    for (let i = 0; i < 7; i++) {
      const res = await rawRequest(url, { path: '/secure', method: 'POST', headers: { authorization: basic('u', `bad-${i}`) }, body: '{"name":"S","v":1}' })
      expect(res.status).toBe(401)
    }
    const lines = () => logger.lines.slice(start).filter((l) => l.msg.startsWith('authentication failed'))
    expect(lines()).toEqual([
      { level: 'warn', msg: 'authentication failed', data: { endpoint: '/secure', source: '127.0.0.1', reason: 'invalid', status: 401 } },
    ])
    expect(JSON.stringify(logger.lines)).not.toContain('bad-')
  })
})
