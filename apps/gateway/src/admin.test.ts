import { afterEach, describe, expect, it } from 'vitest'
import { createAdminServer, type AdminServer } from './admin.ts'
import { createLogger } from './logger.ts'

const open: AdminServer[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()))
})

async function serve(withLogger = true): Promise<{ url: string; lines: string[] }> {
  const lines: string[] = []
  const logger = createLogger({ format: 'json', write: (l) => lines.push(l) })
  const admin = createAdminServer({ port: 0, ...(withLogger ? { logger } : {}) })
  open.push(admin)
  const { url } = await admin.listen()
  return { url, lines }
}

describe('admin endpoint routes', () => {
  it('/healthz is 200; /readyz is 503 with the failing check before a gateway is attached', async () => {
    const { url } = await serve()
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok' })
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toEqual({ status: 'not ready', checks: { gateway: { ok: false, detail: 'not started' } } })
    const metrics = await fetch(`${url}/metrics`)
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toContain('process_cpu_user_seconds_total')
  })
  it('answers 404 and 405 with JSON', async () => {
    const { url } = await serve(false)
    const missing = await fetch(`${url}/nope`)
    expect(missing.status).toBe(404)
    expect((await fetch(`${url}/loglevel`)).status).toBe(404)
    const wrong = await fetch(`${url}/healthz`, { method: 'POST' })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('GET')
  })
  it('/loglevel reads and changes the level; refuses unknown levels and oversized bodies', async () => {
    const { url, lines } = await serve()
    expect(await (await fetch(`${url}/loglevel`)).json()).toMatchObject({ level: 'info' })
    expect(await (await fetch(`${url}/loglevel`, { method: 'PUT', body: '"warning"' })).json()).toEqual({ level: 'warn', previous: 'info' })
    expect((await fetch(`${url}/loglevel`, { method: 'PUT', body: 'loud' })).status).toBe(400)
    expect((await fetch(`${url}/loglevel`, { method: 'PUT', body: 'x'.repeat(5000) })).status).toBe(413)
    expect(await (await fetch(`${url}/loglevel`)).json()).toMatchObject({ level: 'warn' })
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['log level set to warn'])
  })
  it('says why it cannot listen', async () => {
    const first = createAdminServer({ port: 0 })
    open.push(first)
    const { port } = await first.listen()
    const second = createAdminServer({ port })
    open.push(second)
    await expect(second.listen()).rejects.toThrow(`admin endpoint: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`)
  })
})
