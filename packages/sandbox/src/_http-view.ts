import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { listen } from './_listen.ts'
import { createPage } from './_page.ts'
import { SandboxError } from './errors.ts'
import type { Logger, SandboxTry } from './options.ts'
import type { RecordedMessage, SandboxDevice, SandboxState } from './types.ts'

const BODY_LIMIT = 1024 * 1024
const DEFAULT_MESSAGE_LIMIT = 100

export interface HttpViewDeps {
  state(): SandboxState
  messages(): RecordedMessage[]
  sendRpc(device: string, method: string, params: unknown, timeoutMs: number | undefined): Promise<unknown>
  sendAttributeUpdate(device: string, data: Record<string, unknown>): Promise<void>
  mqttUrl(): string
  logger: Logger
  /** Subscribes to every recorded message (the page's live log); returns the unsubscribe function. */
  onMessage(listener: (message: RecordedMessage) => void): () => void
  /** The gateway's dry run for the page's "try a request" panel. */
  try?: SandboxTry
}

export interface HttpView {
  port: number
  close(): Promise<void>
}

class HttpProblem extends Error {
  readonly status: number
  readonly headers: Record<string, string>
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.status = status
    this.headers = headers
  }
}

/** What `/api/devices` shows per device: everything but the full telemetry history. */
export function deviceSummary(d: Readonly<SandboxDevice>): Record<string, unknown> {
  return {
    name: d.name,
    type: d.type,
    connected: d.connected,
    connectCount: d.connectCount,
    disconnectCount: d.disconnectCount,
    autoCreated: d.autoCreated,
    dataBeforeConnect: d.dataBeforeConnect,
    attributes: d.attributes,
    sharedAttributes: d.sharedAttributes,
    latest: d.latest,
    telemetryCount: d.telemetry.length,
    duplicates: d.duplicates,
    createdAt: d.createdAt,
    lastActivityAt: d.lastActivityAt,
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const type = typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json'
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > BODY_LIMIT) throw new HttpProblem(413, `request body over ${BODY_LIMIT} bytes`)
    chunks.push(chunk)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpProblem(400, 'request body is not valid JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpProblem(400, 'request body must be a JSON object')
  return body as Record<string, unknown>
}

function requireString(body: Record<string, unknown>, key: string): string {
  const v = body[key]
  if (typeof v !== 'string' || v.length === 0) throw new HttpProblem(400, `"${key}" must be a non-empty string`)
  return v
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
}

function index(deps: HttpViewDeps, html: boolean): unknown {
  const state = deps.state()
  const endpoints = {
    'GET /api/devices': 'devices with their attributes and latest telemetry',
    'GET /api/devices/{name}': 'one device with its full telemetry',
    'GET /api/messages?limit=100': 'the most recent MQTT messages, oldest first',
    'POST /api/rpc': 'send an RPC to the gateway: {"device","method","params","timeoutMs"} → the reply data',
    'POST /api/attributes': 'send a shared-attribute update: {"device","data":{...}}',
  }
  const info = {
    name: 'restgate sandbox (ThingsBoard Gateway API stand-in)',
    mqttUrl: deps.mqttUrl(),
    devices: state.devices.size,
    messages: state.messageCount,
    endpoints,
  }
  if (!html) return info
  const rows = Object.entries(endpoints)
    .map(([k, v]) => `<li><code>${esc(k)}</code> — ${esc(v)}</li>`)
    .join('')
  return `<!doctype html><meta charset="utf-8"><title>restgate sandbox</title><h1>restgate sandbox</h1><p>MQTT: <code>${esc(info.mqttUrl)}</code> · ${info.devices} devices · ${info.messages} messages</p><ul>${rows}</ul>`
}

const ROUTES: Record<string, string[]> = {
  '/': ['GET'],
  '/api/devices': ['GET'],
  '/api/messages': ['GET'],
  '/api/rpc': ['POST'],
  '/api/attributes': ['POST'],
}

async function route(deps: HttpViewDeps, req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown }> {
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname
  const isDevice = path.startsWith('/api/devices/')
  const allowed = isDevice ? ['GET'] : ROUTES[path]
  if (!allowed) throw new HttpProblem(404, `no such endpoint: ${path} (see GET /)`)
  if (!allowed.includes(req.method ?? '')) throw new HttpProblem(405, `${req.method} not allowed on ${path}`, { allow: allowed.join(', ') })
  if (isDevice) {
    const name = decodeURIComponent(path.slice('/api/devices/'.length))
    const device = deps.state().devices.get(name)
    if (!device) throw new HttpProblem(404, `no device named "${name}"`)
    return { status: 200, body: { ...deviceSummary(device), telemetry: device.telemetry } }
  }
  switch (path) {
    case '/':
      return { status: 200, body: index(deps, (req.headers.accept ?? '').includes('text/html')) }
    case '/api/devices':
      return { status: 200, body: [...deps.state().devices.values()].map(deviceSummary) }
    case '/api/messages': {
      const raw = url.searchParams.get('limit')
      const limit = raw === null ? DEFAULT_MESSAGE_LIMIT : Number(raw)
      if (!Number.isInteger(limit) || limit < 1) throw new HttpProblem(400, `limit must be a positive integer, got ${JSON.stringify(raw)}`)
      return { status: 200, body: deps.messages().slice(-limit) }
    }
    case '/api/rpc': {
      const body = await readJson(req)
      const timeoutMs = body.timeoutMs
      if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) throw new HttpProblem(400, '"timeoutMs" must be a number >= 0')
      const reply = await deps.sendRpc(requireString(body, 'device'), requireString(body, 'method'), body.params, timeoutMs)
      return { status: 200, body: reply ?? null }
    }
    default: {
      const body = await readJson(req)
      const data = body.data
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new HttpProblem(400, '"data" must be a JSON object')
      await deps.sendAttributeUpdate(requireString(body, 'device'), data as Record<string, unknown>)
      return { status: 200, body: { ok: true } }
    }
  }
}

function problemOf(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error
  if (SandboxError.is(error, 'RPC_TIMEOUT')) return new HttpProblem(504, error.message)
  if (SandboxError.is(error, 'INVALID_ARGUMENT')) return new HttpProblem(400, error.message)
  if (SandboxError.is(error)) return new HttpProblem(503, error.message)
  return new HttpProblem(500, 'internal error')
}

/** The optional HTTP view of the sandbox (plain node:http, JSON in and out). */
export async function startHttpView(host: string, port: number, deps: HttpViewDeps): Promise<HttpView> {
  const sockets = new Set<Socket>()
  const page = createPage({ state: deps.state, onMessage: deps.onMessage, try: deps.try })
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.local')
    page
      .handle(req, res, url, () => readJson(req))
      .then((handled) => (handled ? undefined : route(deps, req, url)))
      .then(
        (r) => {
          if (r) send(res, r.status, r.body)
        },
        (error: unknown) => {
          const p = problemOf(error)
          if (p.status === 500) deps.logger.error({ path: url.pathname, error: String(error) }, 'sandbox: HTTP view failed')
          if (!res.headersSent) send(res, p.status, { error: p.message }, p.headers)
        },
      )
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const bound = await listen(server, host, port, 'HTTP')
  server.on('error', (error) => deps.logger.error({ error: error.message }, 'sandbox: HTTP listener error'))
  return {
    port: bound,
    close() {
      return new Promise<void>((resolve) => {
        page.close()
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
    },
  }
}
