import { describe, expect, it, vi } from 'vitest'
import { connect, nextMessage, publish, startSandbox } from './_helpers.ts'

async function json(res: Response): Promise<unknown> {
  expect(res.headers.get('content-type')).toBe('application/json')
  return res.json()
}

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })

describe('HTTP view', () => {
  it('is off by default', async () => {
    const { httpUrl, sandbox } = await startSandbox()
    expect(httpUrl).toBeUndefined()
    expect(sandbox.address?.httpUrl).toBeUndefined()
  })

  it('GET / says what is there, as JSON or as HTML', async () => {
    const { httpUrl, mqttUrl } = await startSandbox({ httpPort: 0 })
    expect(httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const info = (await json(await fetch(`${httpUrl}/`))) as { mqttUrl: string; endpoints: Record<string, string> }
    expect(info.mqttUrl).toBe(mqttUrl)
    expect(Object.keys(info.endpoints)).toContain('POST /api/rpc')
    const html = await fetch(`${httpUrl}/`, { headers: { accept: 'text/html' } })
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await html.text()).toContain('<code>GET /api/devices</code>')
  })

  it('GET /api/devices lists devices with attributes and latest telemetry; /api/devices/{name} adds the history', async () => {
    const { httpUrl, mqttUrl } = await startSandbox({ httpPort: 0 })
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/connect', { device: 'SN 1', type: 'Thermo' })
    await publish(gw, 'v1/gateway/attributes', { 'SN 1': { model: 'M' } })
    await publish(gw, 'v1/gateway/telemetry', {
      'SN 1': [
        { ts: 1, values: { t: 1 } },
        { ts: 3, values: { t: 3 } },
        { ts: 2, values: { t: 2 } },
      ],
    })
    const list = (await json(await fetch(`${httpUrl}/api/devices`))) as unknown[]
    expect(list).toEqual([
      expect.objectContaining({
        name: 'SN 1',
        type: 'Thermo',
        connected: true,
        autoCreated: false,
        attributes: { model: 'M' },
        latest: { t: { ts: 3, value: 3 } },
        telemetryCount: 3,
      }),
    ])
    expect(list[0]).not.toHaveProperty('telemetry')
    const one = (await json(await fetch(`${httpUrl}/api/devices/${encodeURIComponent('SN 1')}`))) as { telemetry: Array<{ ts: number }> }
    expect(one.telemetry.map((e) => e.ts)).toEqual([1, 3, 2])
    const missing = await fetch(`${httpUrl}/api/devices/nope`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ error: 'no device named "nope"' })
  })

  it('GET /api/messages?limit= returns the latest messages', async () => {
    const { httpUrl, mqttUrl } = await startSandbox({ httpPort: 0 })
    const gw = await connect(mqttUrl)
    for (let i = 0; i < 4; i++) await publish(gw, 'v1/gateway/telemetry', { D: [{ ts: i, values: { i } }] })
    const two = (await json(await fetch(`${httpUrl}/api/messages?limit=2`))) as Array<{ seq: number; kind: string }>
    expect(two.map((m) => [m.seq, m.kind])).toEqual([
      [3, 'telemetry'],
      [4, 'telemetry'],
    ])
    expect(((await json(await fetch(`${httpUrl}/api/messages`))) as unknown[]).length).toBe(4)
    const bad = await fetch(`${httpUrl}/api/messages?limit=zero`)
    expect(bad.status).toBe(400)
  })

  it('POST /api/rpc sends an RPC and answers with the reply data; 504 on timeout; 400 on a bad body', async () => {
    const { httpUrl, mqttUrl } = await startSandbox({ httpPort: 0 })
    const gw = await connect(mqttUrl)
    await gw.subscribeAsync('v1/gateway/rpc', { qos: 1 })
    gw.on('message', (topic, payload) => {
      const m = JSON.parse(payload.toString()) as { device: string; data: { id: number; method: string; params: unknown } }
      if (m.data.method === 'echo') void publish(gw, 'v1/gateway/rpc', { device: m.device, id: m.data.id, data: { result: m.data.params } })
    })
    const ok = await post(`${httpUrl}/api/rpc`, { device: 'D', method: 'echo', params: { x: 1 } })
    expect(ok.status).toBe(200)
    expect(await json(ok)).toEqual({ result: { x: 1 } })

    const timeout = await post(`${httpUrl}/api/rpc`, { device: 'D', method: 'silent', timeoutMs: 50 })
    expect(timeout.status).toBe(504)
    expect(((await timeout.json()) as { error: string }).error).toContain('no reply within 50 ms')

    for (const body of ['{not json', { method: 'x' }, { device: 'D', method: 'x', timeoutMs: 'soon' }, [1]]) {
      const res = await post(`${httpUrl}/api/rpc`, body)
      expect(res.status).toBe(400)
      expect(await res.json()).toHaveProperty('error')
    }
  })

  it('POST /api/attributes sends a shared-attribute update to the gateway', async () => {
    const { httpUrl, mqttUrl, sandbox } = await startSandbox({ httpPort: 0 })
    const gw = await connect(mqttUrl)
    await gw.subscribeAsync('v1/gateway/attributes', { qos: 1 })
    const got = nextMessage(gw, 'v1/gateway/attributes')
    const res = await post(`${httpUrl}/api/attributes`, { device: 'SN-1', data: { fw: '2.0' } })
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ ok: true })
    expect((await got).payload).toEqual({ device: 'SN-1', data: { fw: '2.0' } })
    await vi.waitFor(() => expect(sandbox.messages({ kind: 'attributeUpdate' })).toHaveLength(1), { timeout: 5_000 })
    const bad = await post(`${httpUrl}/api/attributes`, { device: 'SN-1', data: 'x' })
    expect(bad.status).toBe(400)
  })

  it('answers 404 for unknown paths and 405 with Allow for wrong methods', async () => {
    const { httpUrl } = await startSandbox({ httpPort: 0 })
    const notFound = await fetch(`${httpUrl}/api/nothing`)
    expect(notFound.status).toBe(404)
    expect(await notFound.json()).toEqual({ error: 'no such endpoint: /api/nothing (see GET /)' })
    const wrong = await fetch(`${httpUrl}/api/rpc`)
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
    const del = await fetch(`${httpUrl}/api/devices`, { method: 'DELETE' })
    expect(del.status).toBe(405)
    expect(del.headers.get('allow')).toBe('GET')
  })

  it('answers 413 for a body over 1 MiB', async () => {
    const { httpUrl } = await startSandbox({ httpPort: 0 })
    const res = await post(`${httpUrl}/api/attributes`, JSON.stringify({ device: 'D', data: { big: 'x'.repeat(1024 * 1024) } }))
    expect(res.status).toBe(413)
  })
})
