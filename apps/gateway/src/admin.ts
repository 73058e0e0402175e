/**
 * The admin endpoint (off unless configured; loopback by default, no authentication):
 * `GET /healthz` (the process lives), `GET /readyz` (ready to take data), `GET /metrics`
 * (Prometheus text), `GET /loglevel` and `PUT /loglevel` (change the log level at runtime).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Gateway } from './gateway.ts'
import { LOG_LEVELS, parseLogLevel, type GatewayLogger, type RootLogger } from './logger.ts'
import { createGatewayMetrics, type GatewayMetrics } from './metrics.ts'

export interface AdminServerOptions {
  /** @default '127.0.0.1' */
  host?: string
  /** 0 = any free port. @default 9100 */
  port?: number
  /** /readyz stays ready this long after ThingsBoard disconnected (and after start until the first connection). @default 30000 */
  readyGraceMs?: number
  /** For `/loglevel`; without it `/loglevel` answers 404. */
  logger?: RootLogger
  /** Where the admin server logs its own events. @default the `logger`'s `admin` child */
  log?: GatewayLogger
  /** Injectable clock (ms). @default Date.now */
  now?: () => number
}

export const adminDefaults: { host: string; port: number; readyGraceMs: number } = { host: '127.0.0.1', port: 9100, readyGraceMs: 30_000 }

/** One readiness check: ok, and why not. */
export interface ReadyCheck {
  ok: boolean
  detail: string
}

export interface AdminServer {
  /** Pass `metrics.observer` to `createGateway({ observer })` before `attach`. */
  readonly metrics: GatewayMetrics
  /** Starts watching the gateway (its ThingsBoard connection); call before `gateway.start()`. */
  attach(gateway: Gateway): void
  listen(): Promise<{ url: string; port: number }>
  /** The checks behind /readyz. */
  readiness(): { ready: boolean; checks: Record<string, ReadyCheck> }
  close(): Promise<void>
}

const LOGLEVEL_BODY_LIMIT = 1024

export function createAdminServer(options: AdminServerOptions = {}): AdminServer {
  const host = options.host ?? adminDefaults.host
  const port = options.port ?? adminDefaults.port
  const graceMs = options.readyGraceMs ?? adminDefaults.readyGraceMs
  const now = options.now ?? Date.now
  const rootLogger = options.logger
  const log = options.log ?? rootLogger?.child('admin')
  let gateway: Gateway | undefined
  let connected = false
  let disconnectedSince = now()
  let connects = 0
  let disconnects = 0
  let lastDisconnect = ''

  const metrics = createGatewayMetrics({ stats: () => gateway?.stats(), connection: () => ({ connects, disconnects }) })

  function readiness(): { ready: boolean; checks: Record<string, ReadyCheck> } {
    const s = gateway?.stats()
    const checks: Record<string, ReadyCheck> = {}
    if (s === undefined) {
      checks.gateway = { ok: false, detail: 'not started' }
      return { ready: false, checks }
    }
    const closed = s.connectors.filter((c) => !c.ingest.listening).map((c) => c.name)
    checks.listening =
      closed.length === 0
        ? { ok: true, detail: `${s.connectors.length} connector server(s) listening` }
        : { ok: false, detail: `not listening: ${closed.map((n) => JSON.stringify(n)).join(', ')}` }
    checks.storage = s.storageOpen ? { ok: true, detail: `${s.tb.storage.kind} storage open` } : { ok: false, detail: 'outbox storage not open' }
    if (connected) checks.thingsboard = { ok: true, detail: 'connected' }
    else {
      const downMs = now() - disconnectedSince
      const why = connects === 0 ? 'not connected yet' : `disconnected${lastDisconnect ? ` (${lastDisconnect})` : ''}`
      checks.thingsboard = { ok: downMs < graceMs, detail: `${why} for ${Math.round(downMs / 1000)} s (grace ${Math.round(graceMs / 1000)} s)` }
    }
    return { ready: Object.values(checks).every((c) => c.ok), checks }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log?.error({ path: req.url, error: String(error) }, 'admin request failed')
      if (!res.headersSent) send(res, 500, { error: 'internal error' })
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5_000

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    const method = req.method ?? 'GET'
    const get = method === 'GET' || method === 'HEAD'
    switch (path) {
      case '/healthz':
        if (!get) return notAllowed(res, 'GET')
        return send(res, 200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) })
      case '/readyz': {
        if (!get) return notAllowed(res, 'GET')
        const r = readiness()
        return send(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks })
      }
      case '/metrics': {
        if (!get) return notAllowed(res, 'GET')
        const text = await metrics.metrics()
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
        res.end(text)
        return
      }
      case '/loglevel': {
        if (rootLogger === undefined) break
        if (get) return send(res, 200, { level: rootLogger.level(), levels: LOG_LEVELS })
        if (method !== 'PUT' && method !== 'POST') return notAllowed(res, 'GET, PUT')
        const body = await readSmall(req)
        if (body === undefined) return send(res, 413, { error: `body over ${LOGLEVEL_BODY_LIMIT} bytes` })
        const name = levelName(body)
        const level = name === undefined ? undefined : parseLogLevel(name)
        if (level === undefined) {
          return send(res, 400, { error: `expected a level (${LOG_LEVELS.join(', ')}) as text or {"level": "..."}; got ${JSON.stringify(body.slice(0, 64))}` })
        }
        const previous = rootLogger.level()
        rootLogger.setLevel(level, 'PUT /loglevel')
        return send(res, 200, { level, previous })
      }
    }
    send(res, 404, { error: `no admin route ${path}; try /healthz, /readyz, /metrics${rootLogger ? ', /loglevel' : ''}` })
  }

  return {
    metrics,
    attach(gw) {
      gateway = gw
      gw.tb.on('connect', () => {
        connected = true
        connects++
      })
      gw.tb.on('disconnect', (event) => {
        if (connected) disconnects++
        connected = false
        disconnectedSince = now()
        lastDisconnect = event.reason
      })
    },
    readiness,
    listen() {
      return new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(new Error(`admin endpoint: cannot listen on ${host}:${port}: ${error.message}`, { cause: error }))
        server.once('error', onError)
        server.listen(port, host, () => {
          server.off('error', onError)
          const a = server.address() as AddressInfo
          const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address
          resolve({ url: `http://${shown}:${a.port}`, port: a.port })
        })
      })
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve()
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(text)
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow)
  send(res, 405, { error: `method not allowed; use ${allow}` })
}

/** The request body as text, or undefined when over the limit. */
function readSmall(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > LOGLEVEL_BODY_LIMIT) {
        // answer 413 once the rest is read (and thrown away), so the client gets the answer
        req.removeAllListeners('data')
        req.resume()
        req.once('end', () => resolve(undefined))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (size <= LOGLEVEL_BODY_LIMIT) resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', reject)
  })
}

/** `debug`, `"debug"` or `{"level":"debug"}`. */
function levelName(body: string): string | undefined {
  const text = body.trim()
  if (!text.startsWith('{') && !text.startsWith('"')) return text
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'string') return parsed
    const level = (parsed as { level?: unknown } | null)?.level
    return typeof level === 'string' ? level : undefined
  } catch {
    return undefined
  }
}
