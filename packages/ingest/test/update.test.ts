/**
 * `update()` on a live server, through both request paths: the Node fast path (plain targets) and
 * h3's own handler (a `/./` target h3 must normalise, and HEAD). The listening socket stays, the
 * next request sees the new mapping, a request in flight finishes with the mapping it started with,
 * and a config that cannot be built leaves the old mapping serving.
 */
import { request as httpRequest } from 'node:http'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { ConverterError } from '@restgate/converters'
import { createIngestServer, type IngestServer, type IngestServerOptions } from '../src/index.ts'
import { configDirWithConverters, mapping, rawRequest, recordingSink, restConfig, type RecordingSink } from './helpers.ts'

function serve(options: Partial<IngestServerOptions> & { sink: RecordingSink }): IngestServer {
  const server = createIngestServer({ config: restConfig(), ...options })
  onTestFinished(() => server.close())
  return server
}

const dev = (endpoint: string, key: string, index = 0) => mapping({ endpoint, deviceName: '${name}', timeseries: [{ key, value: '${v}', type: 'int' }] }, index)

/** The two request paths: a plain target (fast path) and the same path as h3 must normalise it. */
const paths = [
  { name: 'fast path', target: (p: string) => p },
  { name: 'h3 path', target: (p: string) => `/.${p}` },
]

describe('update() on a listening server', () => {
  for (const via of paths) {
    test(`${via.name}: the new endpoint answers, the old one is gone, the port and the counters stay`, async () => {
      const sink = recordingSink()
      const server = serve({ sink, config: restConfig({ mapping: [dev('/old', 'a')] }) })
      const { url } = await server.listen()
      const post = (p: string, body: object) => rawRequest(url, { method: 'POST', path: via.target(p), body: JSON.stringify(body) })
      expect((await post('/old', { name: 'D1', v: 1 })).status).toBe(200)

      await server.update(restConfig({ mapping: [dev('/new', 'b')] }))

      const fresh = await post('/new', { name: 'D2', v: 2 })
      expect(fresh.status).toBe(200)
      const gone = await post('/old', { name: 'D3', v: 3 })
      expect(gone.status).toBe(404)
      expect(JSON.parse(gone.body)).toMatchObject({ code: 'NOT_FOUND' })
      expect(sink.records().map((r) => [r.deviceName, r.telemetry[0]?.values])).toEqual([
        ['D1', { a: 1 }],
        ['D2', { b: 2 }],
      ])
      expect(server.stats()).toMatchObject({ requests: 3, records: 2, byStatus: { 200: 2, 404: 1 }, listening: true })
      // 405 with Allow comes from the new routes too
      const wrongMethod = await rawRequest(url, { method: 'PUT', path: via.target('/new') })
      expect(wrongMethod.status).toBe(405)
      expect(wrongMethod.headers.allow).toBe('POST')
    })

    test(`${via.name}: a request in flight during the swap finishes with the mapping it was routed to`, async () => {
      const sink = recordingSink()
      const server = serve({ sink, config: restConfig({ mapping: [dev('/x', 'old')] }) })
      const { url } = await server.listen()
      const body = JSON.stringify({ name: 'Slow', v: 7 })
      const target = new URL(via.target('/x'), url)
      // headers and half the body now, the rest after the swap
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(target, { method: 'POST', headers: { 'content-length': String(body.length) }, agent: false }, (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        })
        req.on('error', reject)
        req.write(body.slice(0, 5))
        onTestFinished(() => void req.end(body.slice(5)))
        void vi
          .waitFor(() => expect(server.stats().inFlight).toBe(1), { timeout: 10_000, interval: 5 })
          .then(() => server.update(restConfig({ mapping: [dev('/x', 'new')] })))
          .then(() => req.end(body.slice(5)), reject)
      })
      const res = await answer
      expect(res.status).toBe(200)
      expect(sink.records()[0]?.telemetry[0]?.values).toEqual({ old: 7 })
      // the next request has the new mapping
      expect((await rawRequest(url, { method: 'POST', path: via.target('/x'), body })).status).toBe(200)
      expect(sink.records()[1]?.telemetry[0]?.values).toEqual({ new: 7 })
    })
  }

  test('HEAD (always through h3) sees the swap', async () => {
    const sink = recordingSink()
    const server = serve({ sink, config: restConfig({ mapping: [mapping({ endpoint: '/h', methods: ['GET'], deviceName: 'H' })] }) })
    const { url } = await server.listen()
    expect((await rawRequest(url, { method: 'HEAD', path: '/g' })).status).toBe(404)
    await server.update(restConfig({ mapping: [mapping({ endpoint: '/g', methods: ['GET'], deviceName: 'H' })] }))
    expect((await rawRequest(url, { method: 'HEAD', path: '/g' })).status).toBe(405)
    expect((await rawRequest(url, { method: 'HEAD', path: '/h' })).status).toBe(404)
  })

  test('custom converters of the new mapping are loaded before the swap', async () => {
    const dir = await configDirWithConverters()
    onTestFinished(dir.cleanup)
    const sink = recordingSink()
    const server = serve({ sink, config: restConfig({ configDir: dir.dir, mapping: [dev('/x', 'a')] }) })
    const { url } = await server.listen()
    await server.update(restConfig({ configDir: dir.dir, mapping: [mapping({ endpoint: '/x', extension: 'CustomConverter' })] }))
    const res = await rawRequest(url, { method: 'POST', path: '/x', body: '{"temp":21}' })
    expect(res.status).toBe(200)
    expect(sink.records()[0]).toMatchObject({ deviceName: 'Device 2', attributes: { model: 'Model2' } })
  })

  test('a config that cannot be built is refused and the old mapping keeps serving', async () => {
    const sink = recordingSink()
    const server = serve({ sink, config: restConfig({ mapping: [dev('/x', 'a')] }) })
    const { url } = await server.listen()
    const clash = server.update(restConfig({ mapping: [dev('/y', 'b', 0), dev('/y', 'c', 1)] }))
    await expect(clash).rejects.toMatchObject({ name: 'IngestError', code: 'CONFIG_INVALID', message: expect.stringContaining('mapping[1].endpoint') })
    const missing = await server.update(restConfig({ mapping: [mapping({ endpoint: '/y', extension: 'NoSuchConverter' }, 3)] })).catch((e: unknown) => e)
    expect(ConverterError.is(missing)).toBe(true)
    expect((missing as Error).message).toContain('mapping[3].converter')
    const moved = server.update(restConfig({ mapping: [dev('/y', 'b')], server: { port: 1 } }))
    await expect(moved).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('server.port cannot change on a listening server') })
    expect((await rawRequest(url, { method: 'POST', path: '/x', body: '{"name":"D","v":1}' })).status).toBe(200)
    expect((await rawRequest(url, { method: 'POST', path: '/y', body: '{"name":"D","v":1}' })).status).toBe(404)
  })

  test('updates apply in call order; prepare() swaps only on apply()', async () => {
    const sink = recordingSink()
    const server = serve({ sink, config: restConfig({ mapping: [dev('/a', 'a')] }) })
    const { url } = await server.listen()
    const prepared = await server.prepare(restConfig({ mapping: [dev('/p', 'p')] }))
    expect((await rawRequest(url, { method: 'POST', path: '/p', body: '{}' })).status).toBe(404)
    prepared.apply()
    expect((await rawRequest(url, { method: 'POST', path: '/p', body: '{"name":"P","v":1}' })).status).toBe(200)
    await Promise.all([server.update(restConfig({ mapping: [dev('/b', 'b')] })), server.update(restConfig({ mapping: [dev('/c', 'c')] }))])
    expect((await rawRequest(url, { method: 'POST', path: '/c', body: '{"name":"C","v":1}' })).status).toBe(200)
    expect((await rawRequest(url, { method: 'POST', path: '/b', body: '{}' })).status).toBe(404)
  })

  test('before listen() the server listens with the updated config; after close() update is refused', async () => {
    const sink = recordingSink()
    const server = serve({ sink, config: restConfig({ mapping: [dev('/a', 'a')] }) })
    await server.update(restConfig({ mapping: [dev('/b', 'b')] }))
    expect((await server.app.request('/b', { method: 'POST', body: '{"name":"B","v":1}' })).status).toBe(200)
    const { url } = await server.listen()
    expect((await rawRequest(url, { method: 'POST', path: '/a', body: '{}' })).status).toBe(404)
    await server.close()
    await expect(server.update(restConfig({ mapping: [dev('/c', 'c')] }))).rejects.toMatchObject({ code: 'INVALID_STATE' })
  })
})
