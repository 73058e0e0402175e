/** Concurrency, slow clients, listen/close, and start-up errors. */
import { Agent, request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import { ConverterError } from '@restgate/converters'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { createIngestServer, IngestError, type IngestServer } from '../src/index.ts'
import { attributeRequest, mapping, recordingSink, restConfig } from './helpers.ts'

const open: IngestServer[] = []
const sockets: Socket[] = []

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await Promise.all(open.splice(0).map((s) => s.close()))
})

const device = (endpoint = '/d') => mapping({ endpoint, deviceName: '${id}', timeseries: [{ key: 'v', value: '${v}', type: 'int' }] })

function serve(options: Partial<Parameters<typeof createIngestServer>[0]> = {}): IngestServer {
  const server = createIngestServer({ config: restConfig({ mapping: [device()] }), sink: recordingSink(), ...options })
  open.push(server)
  return server
}

test('100 concurrent requests are all stored and answered', async () => {
  const sink = recordingSink()
  const server = serve({ sink })
  const { url } = await server.listen()
  const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => fetch(`${url}/d`, { method: 'POST', body: JSON.stringify({ id: `D-${i}`, v: i }) })))
  expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 100 }, () => 200))
  const names = sink.records().map((r) => r.deviceName)
  expect(new Set(names).size).toBe(100)
  expect(server.stats()).toMatchObject({ requests: 100, records: 100, inFlight: 0, byStatus: { 200: 100 } })
})

test('a client that sends half a body and stalls does not stop others', async () => {
  const server = serve()
  const { port, url } = await server.listen()
  const stalled = connect(port, '127.0.0.1')
  sockets.push(stalled)
  await new Promise<void>((resolve) => stalled.once('connect', () => resolve()))
  stalled.write('POST /d HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":"slow",')
  await vi.waitFor(() => expect(server.stats().inFlight).toBe(1), { timeout: 5000 })
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${url}/d`, { method: 'POST', body: `{"id":"fast-${i}","v":1}` })))
  expect(answers.every((r) => r.status === 200)).toBe(true)
  expect(server.stats().inFlight).toBe(1)
  stalled.destroy()
  await vi.waitFor(() => expect(server.stats().inFlight).toBe(0), { timeout: 5000 })
})

describe('close()', () => {
  test('lets an in-flight request finish, then refuses connections', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const sink = recordingSink({ accept: () => gate })
    const server = serve({ sink })
    const { url, port } = await server.listen()
    const pending = fetch(`${url}/d`, { method: 'POST', body: '{"id":"in-flight","v":1}' })
    await vi.waitFor(() => expect(server.stats().inFlight).toBe(1), { timeout: 5000 })
    const closing = server.close()
    release()
    const res = await pending
    expect(res.status).toBe(200)
    expect(res.headers.get('connection')).toBe('close')
    await closing
    expect(sink.records().map((r) => r.deviceName)).toEqual(['in-flight'])
    const refused = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve('connected')
      })
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    })
    expect(refused).toBe('ECONNREFUSED')
    expect(server.stats().listening).toBe(false)
  })

  test('cuts requests that do not finish within closeTimeoutMs', async () => {
    const server = serve({ sink: recordingSink({ accept: () => new Promise(() => {}) }), closeTimeoutMs: 100 })
    const { url } = await server.listen()
    const pending = fetch(`${url}/d`, { method: 'POST', body: '{"id":"stuck","v":1}' }).then(
      (r) => r.status,
      () => 'cut',
    )
    await vi.waitFor(() => expect(server.stats().inFlight).toBe(1), { timeout: 5000 })
    await server.close()
    expect(await pending).toBe('cut')
  })

  test('closes idle keep-alive connections instead of waiting for them', async () => {
    const server = serve({ closeTimeoutMs: 60_000 })
    const { url } = await server.listen()
    const agent = new Agent({ keepAlive: true })
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${url}/d`, { method: 'POST', agent }, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        })
        req.on('error', reject)
        req.end('{"id":"k","v":1}')
      })
      expect(status).toBe(200)
      const outcome = await Promise.race([server.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 3000).unref())])
      expect(outcome).toBe('closed')
    } finally {
      agent.destroy()
    }
  })

  test('is idempotent and works before listen()', async () => {
    const server = serve()
    await server.close()
    await server.close()
  })
})

describe('listen()', () => {
  test('an address in use is a clear error naming host:port', async () => {
    const first = serve()
    const { port } = await first.listen()
    const second = serve({ config: restConfig({ mapping: [device()], server: { port } }) })
    const error = await second.listen().catch((e: unknown) => e)
    expect(IngestError.is(error)).toBe(true)
    expect((error as IngestError).code).toBe('ADDRESS_IN_USE')
    expect((error as IngestError).message).toContain(`127.0.0.1:${port}`)
    // the first server is unaffected
    expect(first.stats().listening).toBe(true)
  })

  test('close() during listen() wins: listen rejects and nothing stays open', async () => {
    const server = serve()
    const listening = server.listen()
    await server.close()
    await expect(listening).rejects.toMatchObject({ name: 'IngestError', code: 'INVALID_STATE' })
    expect(server.stats().listening).toBe(false)
  })

  test('twice is an error', async () => {
    const server = serve()
    await server.listen()
    await expect(server.listen()).rejects.toMatchObject({ name: 'IngestError', code: 'INVALID_STATE' })
  })

  test('loads the converters and fails with the converter error naming the config path', async () => {
    const server = serve({ config: restConfig({ mapping: [mapping({ endpoint: '/x', extension: 'NoSuchConverter' }, 4)] }) })
    const error = await server.listen().catch((e: unknown) => e)
    expect(ConverterError.is(error)).toBe(true)
    expect((error as ConverterError).code).toBe('CONVERTER_LOAD')
    expect((error as ConverterError).message).toContain('mapping[4].converter')
  })
})

describe('construction', () => {
  test('uses the converters it is given (and the app works without listen)', async () => {
    const m = mapping({ endpoint: '/given' })
    const sink = recordingSink()
    const converter = {
      convert: (data: unknown) => ({
        records: [{ deviceName: 'Given', deviceType: 'default', attributes: { seen: JSON.stringify(data) }, telemetry: [] }],
        dropped: [],
      }),
    }
    const server = serve({ config: restConfig({ mapping: [m] }), sink, converters: new Map([[m, converter]]), connectorName: 'Other Name' })
    const res = await server.app.request('/given?x=1', { method: 'POST', body: '{"y":2}' })
    expect(res.status).toBe(200)
    expect(sink.accepted).toEqual([
      { connectorName: 'Other Name', records: [expect.objectContaining({ deviceName: 'Given', attributes: { seen: '{"y":2,"x":"1"}' } })] },
    ])
  })

  test('a converter that returns garbage is a 500, not a crash', async () => {
    const m = mapping({ endpoint: '/garbage' })
    const converter = { convert: () => ({ records: [{ deviceName: '' }], dropped: [] }) } as never
    const server = serve({ config: restConfig({ mapping: [m] }), converters: new Map([[m, converter]]) })
    const res = await server.app.request('/garbage', { method: 'POST', body: '{}' })
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ code: 'CONVERTER_RESULT', message: expect.stringContaining('deviceName') })
  })

  test('responseExpected needs a responseAttribute and a sink that can wait', () => {
    const noKey = mapping({ response: { responseExpected: true } })
    expect(() => createIngestServer({ config: restConfig({ mapping: [noKey] }), sink: recordingSink() })).toThrow(/responseAttribute/)
    const withKey = mapping({ response: { responseExpected: true, responseAttribute: 'r' } })
    expect(() => createIngestServer({ config: restConfig({ mapping: [withKey] }), sink: { accept: async () => {} } })).toThrow(/waitForAttribute/)
  })

  test('attribute requests need a sink that can ask ThingsBoard', () => {
    let error: unknown
    try {
      createIngestServer({ config: restConfig({ attributeRequests: [attributeRequest()] }), sink: { accept: async () => {} } })
    } catch (e) {
      error = e
    }
    expect(IngestError.is(error)).toBe(true)
    expect((error as IngestError).message).toContain('requestsMapping.attributeRequests[0]')
  })

  test('the same endpoint and method in a mapping and an attribute request is refused', () => {
    const config = restConfig({ mapping: [device('/clash')], attributeRequests: [attributeRequest({ endpoint: '/clash' })] })
    expect(() => createIngestServer({ config, sink: recordingSink() })).toThrow(/already served by mapping\[0\]/)
  })
})

describe('requestTimeoutMs', () => {
  test('cuts a client that never finishes its request, but not a request waiting for its answer', async () => {
    let deliver!: (value: unknown) => void
    const sink = recordingSink({
      waitForAttribute: () =>
        new Promise((resolve) => {
          deliver = resolve
        }),
    })
    const waiting = mapping(
      {
        endpoint: '/wait',
        deviceName: 'W',
        timeseries: [{ key: 'v', value: '${v}' }],
        response: { responseExpected: true, responseAttribute: 'r', timeout: 30 },
      },
      1,
    )
    const server = serve({ config: restConfig({ mapping: [device(), waiting] }), sink, requestTimeoutMs: 400 })
    const { port, url } = await server.listen()
    // the long-poll starts first, so it is older than the stalled request when that one is cut
    const answer = fetch(`${url}/wait`, { method: 'POST', body: '{"v":1}' })
    await vi.waitFor(() => expect(server.stats().waiting).toBe(1), { timeout: 5000 })
    const stalled = connect(port, '127.0.0.1')
    sockets.push(stalled)
    let received = ''
    stalled.on('data', (c: Buffer) => (received += c.toString()))
    const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()))
    stalled.write('POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"id":')
    await closed
    expect(received).toMatch(/^HTTP\/1\.1 408/)
    // the long-poll outlived the request timeout and still gets its answer
    expect(server.stats().waiting).toBe(1)
    deliver({ ok: 1 })
    const res = await answer
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: 1 })
  })
})
