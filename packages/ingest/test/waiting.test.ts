/**
 * Requests that wait for ThingsBoard: `responseExpected` (an attribute update for the request's
 * own device) and attribute requests (ThingsBoard's answer to this very request). Waiting never
 * blocks other requests, and every answer reaches only its own request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest'
import { createIngestServer, type AttributeRequest, type IngestServer } from '../src/index.ts'
import { attributeRequest, mapping, type RecordingSink, recordingSink, restConfig } from './helpers.ts'

/** Per device+key waiters, as the gateway keeps them (a plain function sink, no MQTT). */
function waiterRegistry() {
  const waiting = new Map<string, Array<{ resolve(v: unknown): void }>>()
  return {
    wait(device: string, key: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
      return new Promise((resolve, reject) => {
        const id = `${device}\u0000${key}`
        const entry = {
          resolve: (v: unknown) => {
            clearTimeout(timer)
            resolve(v)
          },
        }
        const timer = setTimeout(() => {
          waiting.set(
            id,
            (waiting.get(id) ?? []).filter((e) => e !== entry),
          )
          reject(Object.assign(new Error('timed out'), { code: 'TIMEOUT' }))
        }, timeoutMs)
        signal?.addEventListener('abort', () => {
          clearTimeout(timer)
          waiting.set(
            id,
            (waiting.get(id) ?? []).filter((e) => e !== entry),
          )
          reject(new Error('aborted'))
        })
        waiting.set(id, [...(waiting.get(id) ?? []), entry])
      })
    },
    deliver(device: string, data: Record<string, unknown>): number {
      let n = 0
      for (const [key, value] of Object.entries(data)) {
        const list = waiting.get(`${device}\u0000${key}`) ?? []
        waiting.delete(`${device}\u0000${key}`)
        for (const e of list) {
          e.resolve(value)
          n++
        }
      }
      return n
    },
  }
}

/** Attribute requests answered by the test, one deferred per request. */
function attributeDesk() {
  const open: Array<{ request: AttributeRequest; resolve(v: unknown): void; reject(e: unknown): void }> = []
  return {
    open,
    request(request: AttributeRequest): Promise<unknown> {
      return new Promise((resolve, reject) => open.push({ request, resolve, reject }))
    },
    take(device: string) {
      const i = open.findIndex((o) => o.request.device === device)
      if (i < 0) throw new Error(`no open request for ${device}`)
      return open.splice(i, 1)[0] as (typeof open)[number]
    },
  }
}

const waiters = waiterRegistry()
const desk = attributeDesk()
let sink: RecordingSink
let server: IngestServer
let url: string

beforeAll(async () => {
  sink = recordingSink({ waitForAttribute: waiters.wait, requestAttributes: (r) => desk.request(r) })
  server = createIngestServer({
    config: restConfig({
      mapping: [
        mapping(
          {
            endpoint: '/rr',
            deviceName: '${name}',
            timeseries: [{ key: 't', value: '${t}' }],
            response: { responseExpected: true, timeout: 5, responseAttribute: 'result' },
          },
          0,
        ),
        mapping(
          {
            endpoint: '/rr-short',
            deviceName: '${name}',
            timeseries: [{ key: 't', value: '${t}' }],
            response: { responseExpected: true, timeout: 0.2, responseAttribute: 'result', unsuccessfulResponse: 'TIMEOUT' },
          },
          1,
        ),
        mapping(
          {
            endpoint: '/rr-json-timeout',
            deviceName: '${name}',
            timeseries: [{ key: 't', value: '${t}' }],
            response: { responseExpected: true, timeout: 0.2, responseAttribute: 'result' },
          },
          2,
        ),
        mapping({ endpoint: '/plain', methods: ['GET'], deviceName: 'Plain', timeseries: [{ key: 't', value: '${t}' }] }, 3),
      ],
      attributeRequests: [
        attributeRequest({ endpoint: '/sharedAttributes', methods: ['POST', 'GET'], attributeNameExpression: '${attribute}${attribute1}' }, 0),
        attributeRequest({ endpoint: '/clientAttributes', type: 'client', timeout: 3, attributeNameExpression: 'key:${keys}' }, 1),
      ],
    }),
    sink,
  })
  ;({ url } = await server.listen())
})

afterAll(async () => {
  await server.close()
})

beforeEach(() => {
  sink.accepted.length = 0
  sink.waits.length = 0
  sink.attributeRequests.length = 0
})

const post = (path: string, body: unknown, signal?: AbortSignal): Promise<Response> =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal })

describe('responseExpected', () => {
  test("answers with the value of the request's own device only, without blocking other requests", async () => {
    const first = post('/rr', { name: 'RR-1', t: 1 })
    const second = post('/rr', { name: 'RR-2', t: 2 })
    await vi.waitFor(() => expect(sink.waits.length).toBe(2), { timeout: 5000 })
    // both were stored before anything was answered, with the client attribute responseExpected: true (as the original)
    expect(sink.records().map((r) => [r.deviceName, r.attributes])).toEqual(
      expect.arrayContaining([
        ['RR-1', { responseExpected: true }],
        ['RR-2', { responseExpected: true }],
      ]),
    )
    expect(sink.waits.map((w) => [w.device, w.key, w.timeoutMs])).toEqual(
      expect.arrayContaining([
        ['RR-1', 'result', 5000],
        ['RR-2', 'result', 5000],
      ]),
    )
    // another request is served while both wait
    expect((await fetch(`${url}/plain?t=1`)).status).toBe(200)
    // an update for another device or another key answers nobody
    expect(waiters.deliver('OTHER', { result: 'nope' })).toBe(0)
    expect(waiters.deliver('RR-1', { other: 'nope' })).toBe(0)
    expect(waiters.deliver('RR-2', { result: { ok: true } })).toBe(1)
    const res2 = await second
    expect(res2.status).toBe(200)
    expect(res2.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res2.json()).toEqual({ ok: true })
    expect(waiters.deliver('RR-1', { result: 'one' })).toBe(1)
    expect(await (await first).json()).toBe('one')
    expect(server.stats().waiting).toBe(0)
  })

  test('408 with unsuccessfulResponse after the timeout', async () => {
    const res = await post('/rr-short', { name: 'RR-T', t: 1 })
    expect(res.status).toBe(408)
    expect(await res.text()).toBe('TIMEOUT')
    expect(sink.records()).toHaveLength(1)
  })

  test('408 as JSON without unsuccessfulResponse', async () => {
    const res = await post('/rr-json-timeout', { name: 'RR-J', t: 1 })
    expect(res.status).toBe(408)
    expect(await res.json()).toMatchObject({ error: 'Request Timeout', code: 'RESPONSE_TIMEOUT', message: expect.stringContaining('RR-J') })
  })

  test('a client that goes away cancels its wait', async () => {
    const controller = new AbortController()
    const pending = post('/rr', { name: 'RR-GONE', t: 1 }, controller.signal).catch((e: unknown) => e)
    await vi.waitFor(() => expect(sink.waits.length).toBe(1), { timeout: 5000 })
    const signal = sink.waits[0]?.signal
    expect(signal?.aborted).toBe(false)
    controller.abort()
    await pending
    await vi.waitFor(() => expect(signal?.aborted).toBe(true), { timeout: 5000 })
    await vi.waitFor(() => expect(server.stats().waiting).toBe(0), { timeout: 5000 })
    expect(waiters.deliver('RR-GONE', { result: 1 })).toBe(0)
  })
})

describe('attributeRequests', () => {
  test("answers with ThingsBoard's reply as JSON", async () => {
    const pending = post('/sharedAttributes', { deviceName: 'SN-001', attribute: 'model' })
    await vi.waitFor(() => expect(desk.open.length).toBe(1), { timeout: 5000 })
    const open = desk.take('SN-001')
    expect(open.request).toEqual({ device: 'SN-001', keys: ['model'], client: false })
    expect(sink.attributeRequests[0]?.timeoutMs).toBe(10_000)
    open.resolve({ id: 7, device: 'SN-001', value: 'T1000' })
    const res = await pending
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: 7, device: 'SN-001', value: 'T1000' })
  })

  test('every placeholder that resolves names a key; GET with a query works too', async () => {
    const pending = fetch(`${url}/sharedAttributes?deviceName=SN-002&attribute=model&attribute1=fw`)
    await vi.waitFor(() => expect(desk.open.length).toBe(1), { timeout: 5000 })
    const open = desk.take('SN-002')
    expect(open.request.keys).toEqual(['model', 'fw'])
    open.resolve({ id: 8, device: 'SN-002', values: { model: 'T1000', fw: '1.0' } })
    expect(await (await pending).json()).toEqual({ id: 8, device: 'SN-002', values: { model: 'T1000', fw: '1.0' } })
  })

  test('client attributes, and arrays of names are flattened', async () => {
    const pending = post('/clientAttributes', { deviceName: 'SN-003', keys: ['a', ['b', 'c'], 4] })
    await vi.waitFor(() => expect(desk.open.length).toBe(1), { timeout: 5000 })
    const open = desk.take('SN-003')
    expect(open.request).toEqual({ device: 'SN-003', keys: ['a', 'b', 'c'], client: true })
    expect(sink.attributeRequests[0]?.timeoutMs).toBe(3000)
    open.resolve({ id: 9, device: 'SN-003', values: {} })
    expect((await pending).status).toBe(200)
  })

  test('each reply reaches its own request, and a late one reaches nobody else', async () => {
    const one = post('/sharedAttributes', { deviceName: 'SN-1', attribute: 'model' })
    const two = post('/sharedAttributes', { deviceName: 'SN-2', attribute: 'model' })
    await vi.waitFor(() => expect(desk.open.length).toBe(2), { timeout: 5000 })
    const openOne = desk.take('SN-1')
    desk.take('SN-2').resolve({ id: 2, device: 'SN-2', value: 'B' })
    expect(await (await two).json()).toEqual({ id: 2, device: 'SN-2', value: 'B' })
    openOne.reject(Object.assign(new Error('no answer'), { code: 'TIMEOUT' }))
    const timedOut = await one
    expect(timedOut.status).toBe(408)
    expect(await timedOut.json()).toMatchObject({ code: 'ATTRIBUTE_REQUEST_TIMEOUT' })
    // the late reply for SN-1 cannot be handed to the next request: that one gets its own
    openOne.resolve({ id: 1, device: 'SN-1', value: 'LATE' })
    const three = post('/sharedAttributes', { deviceName: 'SN-3', attribute: 'model' })
    await vi.waitFor(() => expect(desk.open.length).toBe(1), { timeout: 5000 })
    desk.take('SN-3').resolve({ id: 3, device: 'SN-3', value: 'C' })
    expect(await (await three).json()).toEqual({ id: 3, device: 'SN-3', value: 'C' })
  })

  test('503 when ThingsBoard is not connected', async () => {
    const pending = post('/sharedAttributes', { deviceName: 'SN-4', attribute: 'model' })
    await vi.waitFor(() => expect(desk.open.length).toBe(1), { timeout: 5000 })
    desk.take('SN-4').reject(Object.assign(new Error('offline'), { code: 'NOT_CONNECTED' }))
    const res = await pending
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    expect(await res.json()).toMatchObject({ code: 'NOT_CONNECTED' })
  })

  test('400 without a device name; ThingsBoard is not asked', async () => {
    const noDevice = await post('/sharedAttributes', { attribute: 'model' })
    expect(noDevice.status).toBe(400)
    expect(await noDevice.json()).toMatchObject({ code: 'DEVICE_NAME_MISSING', message: expect.stringContaining('${deviceName}') })
    expect(sink.attributeRequests).toEqual([])
  })

  test('no attribute named: asked with keys [] (as the original), answered with what ThingsBoard returns', async () => {
    const pending = post('/sharedAttributes', { deviceName: 'SN-5', other: 1 })
    await vi.waitFor(() => expect(desk.open.length).toBe(1), { timeout: 5000 })
    const open = desk.take('SN-5')
    expect(open.request).toEqual({ device: 'SN-5', keys: [], client: false })
    open.resolve({ id: 5, device: 'SN-5', values: { model: 'T1000', fw: '1.0' } })
    const res = await pending
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: 5, device: 'SN-5', values: { model: 'T1000', fw: '1.0' } })
  })
})
