/**
 * The sandbox's web page: static files shipped in the package (`assets/`, no build, no CDN), a live
 * feed of recorded messages (server-sent events, batched, bounded per client), a paged device list,
 * one telemetry series for the chart, and the "try a request" panel (a callback the gateway hands in).
 */
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SandboxTry } from './options.ts'
import type { RecordedMessage, SandboxDevice, SandboxState } from './types.ts'

const ASSETS: Record<string, string> = {
  '/': 'page.html',
  '/assets/page.js': 'page.js',
  '/assets/page.css': 'page.css',
}
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}
/** Messages waiting for one slow event-stream client; older ones are dropped (the page is told). */
const MAX_QUEUED = 1_000
/** Payload text sent per message on the event stream (the full text stays in /api/messages). */
const MAX_RAW = 2_000
const MAX_PAGE = 200
const MAX_POINTS = 2_000

export interface PageDeps {
  state(): SandboxState
  onMessage(listener: (message: RecordedMessage) => void): () => void
  try: SandboxTry | undefined
}

export interface Page {
  /** Answers the request when it is one of the page's; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, readJson: () => Promise<Record<string, unknown>>): Promise<boolean>
  close(): void
}

const assetCache = new Map<string, Promise<string>>()
function asset(name: string): Promise<string> {
  let text = assetCache.get(name)
  if (!text) {
    text = readFile(new URL(`../assets/${name}`, import.meta.url), 'utf8')
    text.catch(() => assetCache.delete(name))
    assetCache.set(name, text)
  }
  return text
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

/** What the event stream carries per message. */
function brief(m: RecordedMessage): Record<string, unknown> {
  return {
    seq: m.seq,
    time: m.time,
    direction: m.direction,
    topic: m.topic,
    kind: m.kind,
    devices: m.devices,
    raw: m.raw.length > MAX_RAW ? `${m.raw.slice(0, MAX_RAW)}…` : m.raw,
    ...(m.problem ? { problem: m.problem } : {}),
  }
}

function row(d: Readonly<SandboxDevice>): Record<string, unknown> {
  return {
    name: d.name,
    type: d.type,
    connected: d.connected,
    attributes: d.attributes,
    sharedAttributes: d.sharedAttributes,
    latest: d.latest,
    lastActivityAt: d.lastActivityAt,
  }
}

function intParam(url: URL, name: string, fallback: number, max: number): number {
  const raw = url.searchParams.get(name)
  const n = raw === null ? fallback : Number(raw)
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback
}

class EventClient {
  readonly res: ServerResponse
  queue: Record<string, unknown>[] = []
  missed = 0
  scheduled = false

  constructor(res: ServerResponse) {
    this.res = res
    res.on('drain', () => this.flush())
  }

  push(message: RecordedMessage): void {
    this.queue.push(brief(message))
    if (this.queue.length > MAX_QUEUED) {
      this.missed += this.queue.length - MAX_QUEUED
      this.queue.splice(0, this.queue.length - MAX_QUEUED)
    }
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.flush())
    }
  }

  flush(): void {
    this.scheduled = false
    if (this.res.writableNeedDrain || this.res.destroyed) return
    if (this.queue.length === 0 && this.missed === 0) return
    const batch = { messages: this.queue, missed: this.missed }
    this.queue = []
    this.missed = 0
    this.res.write(`data: ${JSON.stringify(batch)}\n\n`)
  }
}

export function createPage(deps: PageDeps): Page {
  const clients = new Set<EventClient>()
  let unsubscribe: (() => void) | undefined
  const subscribe = (): void => {
    unsubscribe ??= deps.onMessage((m) => {
      for (const c of clients) c.push(m)
    })
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
    res.write(`retry: 1000\n\n`)
    const client = new EventClient(res)
    clients.add(client)
    subscribe()
    req.socket.setNoDelay(true)
    res.on('close', () => {
      clients.delete(client)
      if (clients.size === 0) {
        unsubscribe?.()
        unsubscribe = undefined
      }
    })
  }

  function devicePage(url: URL): Record<string, unknown> {
    const offset = intParam(url, 'offset', 0, Number.MAX_SAFE_INTEGER)
    const limit = Math.max(1, intParam(url, 'limit', 50, MAX_PAGE))
    const q = (url.searchParams.get('q') ?? '').toLowerCase()
    const items: Record<string, unknown>[] = []
    let total = 0
    let connected = 0
    for (const d of deps.state().devices.values()) {
      if (d.connected) connected++
      if (q !== '' && !d.name.toLowerCase().includes(q) && !d.type.toLowerCase().includes(q)) continue
      if (total >= offset && items.length < limit) items.push(row(d))
      total++
    }
    return { total, offset, limit, connected, devices: deps.state().devices.size, items }
  }

  function series(url: URL): Record<string, unknown> | undefined {
    const device = deps.state().devices.get(url.searchParams.get('device') ?? '')
    const key = url.searchParams.get('key') ?? ''
    if (!device) return undefined
    const limit = Math.max(1, intParam(url, 'limit', 500, MAX_POINTS))
    const points: Array<[number, number]> = []
    const keys = new Set<string>()
    const entries = device.telemetry
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i] as (typeof entries)[number]
      for (const k in e.values) if (keys.size < 200) keys.add(k)
      if (points.length >= limit || !(key in e.values)) continue
      const v = e.values[key]
      const n = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN
      if (Number.isFinite(n)) points.push([e.ts, n])
    }
    points.sort((a, b) => a[0] - b[0])
    return { device: device.name, key, keys: [...keys].toSorted(), points }
  }

  async function tryIt(readJson: () => Promise<Record<string, unknown>>): Promise<{ status: number; body: unknown }> {
    if (!deps.try) return { status: 501, body: { error: 'the try panel needs a running gateway: start it with `restgate --config tb_gateway.json --sandbox`' } }
    const body = await readJson()
    const str = (k: string): string | undefined => (typeof body[k] === 'string' && body[k] !== '' ? (body[k] as string) : undefined)
    const headers: Record<string, string> = {}
    const rawHeaders = body.headers
    if (rawHeaders !== undefined && (typeof rawHeaders !== 'object' || rawHeaders === null || Array.isArray(rawHeaders))) {
      return { status: 400, body: { error: '"headers" must be an object of strings' } }
    }
    for (const [k, v] of Object.entries((rawHeaders ?? {}) as Record<string, unknown>)) headers[k] = String(v)
    const method = str('method')
    const endpoint = str('endpoint')
    const query = str('query')
    const data = typeof body.body === 'string' ? body.body : undefined
    let result: unknown
    try {
      result = await deps.try({
        ...(method ? { method } : {}),
        ...(endpoint ? { endpoint } : {}),
        ...(query ? { query } : {}),
        headers,
        ...(data !== undefined ? { body: data } : {}),
      })
    } catch (error) {
      return { status: 500, body: { error: `the request could not be tried: ${error instanceof Error ? error.message : String(error)}` } }
    }
    return { status: 200, body: result }
  }

  return {
    async handle(req, res, url, readJson) {
      const path = url.pathname
      const method = req.method ?? 'GET'
      const file = ASSETS[path]
      if (file && method === 'GET' && (path !== '/' || (req.headers.accept ?? '').includes('text/html'))) {
        const text = await asset(file)
        const ext = file.slice(file.lastIndexOf('.') + 1)
        res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache' })
        res.end(text)
        return true
      }
      if (method === 'GET' && path === '/api/events') {
        events(req, res)
        return true
      }
      if (method === 'GET' && path === '/api/device-page') {
        json(res, 200, devicePage(url))
        return true
      }
      if (method === 'GET' && path === '/api/series') {
        const s = series(url)
        if (s) json(res, 200, s)
        else json(res, 404, { error: `no device named ${JSON.stringify(url.searchParams.get('device') ?? '')}` })
        return true
      }
      if (method === 'GET' && path === '/api/info') {
        const state = deps.state()
        json(res, 200, { try: deps.try !== undefined, devices: state.devices.size, messageCount: state.messageCount })
        return true
      }
      if (method === 'POST' && path === '/api/try') {
        const r = await tryIt(readJson)
        json(res, r.status, r.body)
        return true
      }
      return false
    },
    close() {
      unsubscribe?.()
      unsubscribe = undefined
      for (const c of clients) c.res.end()
      clients.clear()
    },
  }
}
