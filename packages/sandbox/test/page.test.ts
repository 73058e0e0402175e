/** The web page's server side: static files, the live feed, paging, one series, the try callback, bounds. */
import { connect as tcpConnect } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import type { SandboxTry } from '../src/index.ts'
import { connect, publish, startSandbox } from './_helpers.ts'

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

/** Reads server-sent events until `until` holds for the collected batches. */
async function readEvents(url: string, until: (batches: Array<{ messages: Array<{ seq: number; topic: string }>; missed: number }>) => boolean) {
  const controller = new AbortController()
  const res = await fetch(url, { signal: controller.signal })
  expect(res.headers.get('content-type')).toBe('text/event-stream')
  const reader = res.body!.getReader()
  const batches: Array<{ messages: Array<{ seq: number; topic: string }>; missed: number }> = []
  let text = ''
  return {
    batches,
    async next(): Promise<void> {
      while (!until(batches)) {
        const { value, done } = await reader.read()
        if (done) throw new Error('event stream ended')
        text += Buffer.from(value).toString('utf8')
        let end: number
        while ((end = text.indexOf('\n\n')) >= 0) {
          const event = text.slice(0, end)
          text = text.slice(end + 2)
          const data = event.split('\n').find((l) => l.startsWith('data: '))
          if (data) batches.push(JSON.parse(data.slice(6)))
        }
      }
    },
    close: () => controller.abort(),
  }
}

describe('the web page', () => {
  it('GET / with Accept text/html serves the page and its static files (no CDN)', async () => {
    const { httpUrl } = await startSandbox({ httpPort: 0 })
    const html = await (await fetch(`${httpUrl}/`, { headers: { accept: 'text/html' } })).text()
    expect(html).toContain('<title>restgate sandbox</title>')
    expect(html).not.toMatch(/https?:\/\//)
    const js = await fetch(`${httpUrl}/assets/page.js`)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await js.text()).toContain("new EventSource('/api/events')")
    expect((await fetch(`${httpUrl}/assets/page.css`)).status).toBe(200)
    expect((await fetch(`${httpUrl}/assets/nope.js`)).status).toBe(404)
  })

  it('GET /api/events streams every recorded message, batched', async () => {
    const { httpUrl, mqttUrl } = await startSandbox({ httpPort: 0 })
    const stream = await readEvents(`${httpUrl}/api/events`, (b) => b.flatMap((x) => x.messages).length >= 3)
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/connect', { device: 'A', type: 't' })
    await publish(gw, 'v1/gateway/telemetry', { A: [{ ts: 1, values: { v: 1 } }] })
    await publish(gw, 'v1/gateway/attributes', { A: { m: 'x' } })
    await stream.next()
    stream.close()
    const messages = stream.batches.flatMap((b) => b.messages)
    expect(messages.map((m) => m.topic)).toEqual(['v1/gateway/connect', 'v1/gateway/telemetry', 'v1/gateway/attributes'])
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3])
  })

  it('GET /api/device-page pages and filters devices; GET /api/series gives one numeric key over time', async () => {
    const { httpUrl, mqttUrl } = await startSandbox({ httpPort: 0 })
    const gw = await connect(mqttUrl)
    for (let i = 0; i < 30; i++) await publish(gw, 'v1/gateway/connect', { device: `dev-${i}`, type: i % 2 ? 'odd' : 'even' })
    await publish(gw, 'v1/gateway/telemetry', {
      'dev-3': [
        { ts: 20, values: { t: 2, s: 'x' } },
        { ts: 10, values: { t: 1 } },
        { ts: 30, values: { t: '3.5' } },
      ],
    })
    const page = (await (await fetch(`${httpUrl}/api/device-page?offset=25&limit=10`)).json()) as { items: Array<{ name: string }> }
    expect(page).toMatchObject({ total: 30, offset: 25, limit: 10, devices: 30, connected: 30 })
    expect(page.items.map((d: { name: string }) => d.name)).toEqual(['dev-25', 'dev-26', 'dev-27', 'dev-28', 'dev-29'])
    const odd = (await (await fetch(`${httpUrl}/api/device-page?q=ODD&limit=200`)).json()) as { total: number }
    expect(odd.total).toBe(15)
    const series = await (await fetch(`${httpUrl}/api/series?device=dev-3&key=t`)).json()
    expect(series).toEqual({
      device: 'dev-3',
      key: 't',
      keys: ['s', 't'],
      points: [
        [10, 1],
        [20, 2],
        [30, 3.5],
      ],
    })
    expect((await fetch(`${httpUrl}/api/series?device=nope&key=t`)).status).toBe(404)
  })

  it('POST /api/try: 501 without a try callback; with one, its result', async () => {
    const without = await startSandbox({ httpPort: 0 })
    expect(await (await fetch(`${without.httpUrl}/api/info`)).json()).toMatchObject({ try: false })
    const refused = await post(`${without.httpUrl}/api/try`, { endpoint: '/x' })
    expect(refused.status).toBe(501)
    expect(((await refused.json()) as { error: string }).error).toContain('needs a running gateway')

    const calls: unknown[] = []
    const tryIt: SandboxTry = async (request) => {
      calls.push(request)
      return { text: `tried ${request.method} ${request.endpoint}`, report: { ok: true } }
    }
    const withTry = await startSandbox({ httpPort: 0, try: tryIt })
    expect(await (await fetch(`${withTry.httpUrl}/api/info`)).json()).toMatchObject({ try: true })
    const res = await post(`${withTry.httpUrl}/api/try`, { method: 'POST', endpoint: '/my_devices', query: '', headers: { a: 'b' }, body: '{"x":1}' })
    expect(await res.json()).toEqual({ text: 'tried POST /my_devices', report: { ok: true } })
    expect(calls).toEqual([{ method: 'POST', endpoint: '/my_devices', headers: { a: 'b' }, body: '{"x":1}' }])
    expect((await post(`${withTry.httpUrl}/api/try`, { headers: 'nope' })).status).toBe(400)
    const failing = await startSandbox({ httpPort: 0, try: async () => Promise.reject(new Error('converter missing')) })
    const failed = await post(`${failing.httpUrl}/api/try`, {})
    expect(failed.status).toBe(500)
    expect(((await failed.json()) as { error: string }).error).toContain('converter missing')
  })

  it('keeps at most maxTelemetryPerDevice entries per device', async () => {
    const { sandbox, mqttUrl } = await startSandbox({ maxTelemetryPerDevice: 50 })
    const gw = await connect(mqttUrl)
    for (let i = 0; i < 20; i++) {
      await publish(gw, 'v1/gateway/telemetry', { D: Array.from({ length: 10 }, (_, j) => ({ ts: i * 10 + j, values: { v: i * 10 + j } })) })
    }
    await vi.waitFor(() => expect(sandbox.state.messageCount).toBe(20))
    const d = sandbox.state.devices.get('D')!
    expect(d.telemetry.length).toBeLessThanOrEqual(55)
    expect(d.telemetry.at(-1)!.ts).toBe(199)
    expect(d.latest.v).toEqual({ ts: 199, value: 199 })
    // duplicates are still detected among the kept entries
    await publish(gw, 'v1/gateway/telemetry', { D: [{ ts: 199, values: { v: 199 } }] })
    await vi.waitFor(() => expect(sandbox.state.devices.get('D')!.duplicates).toBe(1))
  })

  it('a client that does not read gets at most 1 000 queued messages; the rest are counted as missed', { timeout: 120_000 }, async () => {
    const { sandbox, httpUrl } = await startSandbox({ httpPort: 0, maxMessages: 100 })
    const { port } = new URL(httpUrl!)
    const socket = tcpConnect(Number(port), '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    socket.write(`GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n`)
    let text = ''
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
    await vi.waitFor(() => expect(text).toContain('text/event-stream'))
    socket.pause()
    const N = 15_000
    const data = { blob: 'x'.repeat(1_900) }
    for (let i = 0; i < N; i++) await sandbox.sendAttributeUpdate(`D${i}`, data)
    socket.resume()
    const totals = (): { messages: number; missed: number } => {
      let messages = 0
      let missed = 0
      for (const m of text.matchAll(/data: (\{.*\})\n\n/g)) {
        const batch = JSON.parse(m[1]!) as { messages: unknown[]; missed: number }
        messages += batch.messages.length
        missed += batch.missed
      }
      return { messages, missed }
    }
    await vi.waitFor(() => expect(totals().messages + totals().missed).toBe(N), { timeout: 60_000, interval: 200 })
    expect(totals().missed).toBeGreaterThan(0)
    socket.destroy()
  })
})
