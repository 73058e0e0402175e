/** Every error status, its JSON body, and that a bad request never reaches the sink. */
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { createIngestServer, type IngestServer } from '../src/index.ts'
import { basic, configDirWithConverters, docsMyDevices, mapping, memoryLogger, rawRequest, type RecordingSink, recordingSink, restConfig } from './helpers.ts'

const LIMIT = 1024

let server: IngestServer
let url: string
let sink: RecordingSink
let cleanup: () => Promise<void>
let sinkFailure: unknown
const logger = memoryLogger()

beforeAll(async () => {
  const config = await configDirWithConverters()
  cleanup = config.cleanup
  sink = recordingSink({
    accept: async () => {
      if (sinkFailure) throw sinkFailure
    },
  })
  server = createIngestServer({
    config: restConfig({
      configDir: config.dir,
      server: { bodyLimit: LIMIT },
      mapping: [
        docsMyDevices(0),
        mapping({ endpoint: '/anon', methods: ['GET', 'POST'], deviceName: 'Anon', timeseries: [{ key: 't', value: '${t}' }] }, 1),
        mapping({ endpoint: '/throws', extension: 'ThrowingConverter' }, 2),
        mapping(
          {
            endpoint: '/basic-denied',
            methods: ['POST', 'GET'],
            security: { type: 'basic', users: [{ username: 'user', password: 'passwd' }] },
            deviceName: 'Device ${name}',
            timeseries: [{ key: 'temperature', value: '${temp}' }],
            response: { unsuccessfulResponse: 'Denied' },
          },
          3,
        ),
        mapping({ endpoint: '/json-error-body', response: { unsuccessfulResponse: { ok: false } } }, 4),
      ],
    }),
    sink,
    logger,
  })
  ;({ url } = await server.listen())
})

afterAll(async () => {
  await server.close()
  await cleanup()
})

beforeEach(() => {
  sinkFailure = undefined
  sink.accepted.length = 0
})

async function expectError(res: Response, status: number, code: string): Promise<{ error: string; code: string; message: string }> {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
  const body = (await res.json()) as { error: string; code: string; message: string }
  expect(body.code).toBe(code)
  expect(typeof body.error).toBe('string')
  expect(body.message.length).toBeGreaterThan(10)
  return body
}

const auth = { authorization: basic('user', 'password') }

describe('400 Bad Request', () => {
  test('a body declared JSON that is not JSON', async () => {
    const body = await expectError(
      await fetch(`${url}/anon`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' }),
      400,
      'INVALID_JSON',
    )
    expect(body.error).toBe('Bad Request')
  })

  test('a JSON scalar', async () => {
    const body = await expectError(
      await fetch(`${url}/anon`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '42' }),
      400,
      'BODY_SHAPE',
    )
    expect(body.message).toContain('object or array')
  })

  test('an array with an element that is not an object', async () => {
    await expectError(await fetch(`${url}/anon`, { method: 'POST', body: '[{"t":1}, 2]' }), 400, 'BODY_SHAPE')
  })

  test('a body that is not UTF-8, for the JSON converter', async () => {
    const res = await fetch(`${url}/anon`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0xff, 0xfe, 0x00]),
    })
    await expectError(res, 400, 'INVALID_ENCODING')
  })

  test('a missing device name names the expression', async () => {
    const body = await expectError(await fetch(`${url}/my_devices`, { method: 'POST', headers: auth, body: '{"temp":1}' }), 400, 'DEVICE_NAME_MISSING')
    expect(body.message).toContain('${sensorName}')
  })

  test('a malformed URL', async () => {
    const res = await rawRequest(url, { method: 'POST', path: '/anon%zz' })
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body)).toMatchObject({ error: 'Bad Request', code: 'BAD_REQUEST' })
  })
})

describe('401 Unauthorized', () => {
  test('no credentials, wrong credentials, another scheme: 401 with WWW-Authenticate, never 500', async () => {
    const variants: Array<Record<string, string>> = [
      {},
      { authorization: basic('user', 'wrong') },
      { authorization: basic('nobody', 'password') },
      { authorization: 'Bearer abc' },
      { authorization: 'Basic !!!' },
    ]
    for (const headers of variants) {
      const res = await fetch(`${url}/my_devices`, { method: 'POST', headers, body: '{"sensorName":"X"}' })
      await expectError(res, 401, 'UNAUTHORIZED')
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/)
    }
    expect(sink.accepted).toEqual([])
  })

  test('authentication comes before the body (an oversized body with bad credentials is a 401)', async () => {
    const res = await fetch(`${url}/my_devices`, { method: 'POST', body: 'x'.repeat(LIMIT * 4) })
    expect(res.status).toBe(401)
  })

  test('credentials never reach the log', () => {
    const text = JSON.stringify(logger.lines)
    expect(text).not.toContain('password')
    expect(text).not.toContain(Buffer.from('user:password').toString('base64'))
  })
})

test('404 for an unknown path', async () => {
  await expectError(await fetch(`${url}/nope`, { method: 'POST', body: '{}' }), 404, 'NOT_FOUND')
})

test('405 with Allow for a known path', async () => {
  const res = await fetch(`${url}/my_devices`, { method: 'PUT', body: '{}' })
  await expectError(res, 405, 'METHOD_NOT_ALLOWED')
  expect(res.headers.get('allow')).toBe('POST')
})

describe('413 Content Too Large', () => {
  test('by Content-Length, before reading', async () => {
    const res = await fetch(`${url}/anon`, { method: 'POST', body: `{"t":"${'x'.repeat(LIMIT)}"}` })
    await expectError(res, 413, 'BODY_TOO_LARGE')
    expect(res.headers.get('connection')).toBe('close')
  })

  test('while streaming a chunked body', async () => {
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${url}/anon`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false, timeout: 10_000 }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.on('timeout', () => req.destroy(new Error('timed out')))
      req.write(`{"t":"${'x'.repeat(LIMIT / 2)}`)
      setTimeout(() => req.write('y'.repeat(LIMIT)), 20)
    })
    expect(result.status).toBe(413)
    expect(JSON.parse(result.body)).toMatchObject({ code: 'BODY_TOO_LARGE' })
  })

  test('a body exactly at the limit is fine', async () => {
    const body = `{"t":"${'x'.repeat(LIMIT - 8)}"}`
    expect(Buffer.byteLength(body)).toBe(LIMIT)
    const res = await fetch(`${url}/anon`, { method: 'POST', body })
    expect(res.status).toBe(200)
  })
})

describe('415 Unsupported Media Type', () => {
  test('a content type the JSON converter cannot read', async () => {
    const res = await fetch(`${url}/anon`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' })
    const body = await expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(body.message).toContain('application/xml')
  })

  test('no data at all: a GET without query is refused (as the original); an empty POST runs the converter', async () => {
    await expectError(await fetch(`${url}/anon`), 415, 'NO_DATA')
    // the converter finds no ${t}: nothing to send, and the answer says why
    const res = await fetch(`${url}/anon`, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ devices: 0, telemetry: 0, dropped: [{ key: 't', reason: 'missing ${t}' }] })
    expect(sink.accepted).toEqual([])
  })
})

test('500 when a custom converter throws: JSON error, no stack or detail, logged', async () => {
  const res = await fetch(`${url}/throws`, { method: 'POST', body: '{"a":1}' })
  const body = await expectError(res, 500, 'CONVERTER_FAILED')
  expect(JSON.stringify(body)).not.toContain('secret internal detail')
  expect(JSON.stringify(body)).not.toContain('.mjs')
  expect(logger.lines.some((l) => l.level === 'error' && JSON.stringify(l.data).includes('secret internal detail'))).toBe(true)
})

describe('503 Service Unavailable', () => {
  test('outbox full: Retry-After from the sink', async () => {
    sinkFailure = Object.assign(new Error('full'), { code: 'OUTBOX_FULL', retryAfterSeconds: 6.2 })
    const res = await fetch(`${url}/anon?t=1`)
    await expectError(res, 503, 'OUTBOX_FULL')
    expect(res.headers.get('retry-after')).toBe('7')
  })

  test('any other sink failure', async () => {
    sinkFailure = new Error('disk on fire')
    const res = await fetch(`${url}/anon?t=1`)
    const body = await expectError(res, 503, 'SINK_FAILED')
    expect(body.message).not.toContain('disk on fire')
    expect(res.headers.get('retry-after')).toBe('5')
  })
})

describe('unsuccessfulResponse', () => {
  test('replaces the body of every error, keeping status and headers', async () => {
    const unauth = await fetch(`${url}/basic-denied`, { method: 'POST', body: '{"name":"X","temp":5}' })
    expect(unauth.status).toBe(401)
    expect(unauth.headers.get('www-authenticate')).toMatch(/^Basic/)
    expect(unauth.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await unauth.text()).toBe('Denied')
    const noData = await fetch(`${url}/basic-denied`, { headers: { authorization: basic('user', 'passwd') } })
    expect(noData.status).toBe(415)
    expect(await noData.text()).toBe('Denied')
    const ok = await fetch(`${url}/basic-denied`, { method: 'POST', headers: { authorization: basic('user', 'passwd') }, body: '{"name":"X","temp":5}' })
    expect(ok.status).toBe(200)
    expect(sink.records()[0]).toMatchObject({ deviceName: 'Device X', telemetry: [{ values: { temperature: '5' } }] })
  })

  test('a non-string body is sent as JSON', async () => {
    const res = await fetch(`${url}/json-error-body`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res.json()).toEqual({ ok: false })
  })
})

test('the server keeps serving after all of the above', async () => {
  expect((await fetch(`${url}/anon?t=1`)).status).toBe(200)
  const stats = server.stats()
  expect(stats.byStatus[200]).toBeGreaterThan(0)
  expect(stats.byStatus[401]).toBeGreaterThan(0)
  expect(stats.inFlight).toBe(0)
})
