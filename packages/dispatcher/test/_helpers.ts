/** Test fixtures: real HTTP(S) target servers on 127.0.0.1:0, a recording publisher and logger, rule objects. */
import { logFnOf } from '@restgate/core'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type ServerOptions } from 'node:https'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'
import type { AttributeUpdateRule, OutboundRequestConfig, RestConnectorConfig, RpcRule } from '@restgate/config'
import { createDispatcher, type Dispatcher, type DispatcherOptions, type Logger } from '../src/index.ts'

export interface Received {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

export type Handler = (req: Received, res: ServerResponse, raw: IncomingMessage) => unknown

export interface Target {
  /** `http://127.0.0.1:<port>` (or https). */
  url: string
  port: number
  received: Received[]
  /** Requests whose handler has not answered yet. */
  open(): number
  close(): Promise<void>
}

function listen(server: Server, scheme: 'http' | 'https', handler: Handler): Promise<Target> {
  const received: Received[] = []
  let open = 0
  server.on('request', (raw: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    raw.on('data', (c: Buffer) => chunks.push(c))
    raw.on('end', () => {
      const req: Received = { method: raw.method ?? '', url: raw.url ?? '', headers: raw.headers, body: Buffer.concat(chunks).toString('utf8') }
      received.push(req)
      open++
      res.on('close', () => open--)
      Promise.resolve(handler(req, res, raw)).catch((e: unknown) => {
        res.statusCode = 599
        res.end(String(e))
      })
    })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port
      const target: Target = {
        url: `${scheme}://127.0.0.1:${port}`,
        port,
        received,
        open: () => open,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      }
      // closed when the test that started it (or whose beforeEach did) has finished
      onTestFinished(() => target.close())
      resolve(target)
    })
  })
}

export function startTarget(handler: Handler): Promise<Target> {
  return listen(createHttpServer(), 'http', handler)
}

export function startHttpsTarget(options: ServerOptions, handler: Handler): Promise<Target> {
  return listen(createHttpsServer(options) as unknown as Server, 'https', handler)
}

/** A port nothing listens on (a server is opened and closed again). */
export async function refusedPort(): Promise<number> {
  const server = createHttpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers })
  res.end(body)
}

export interface Reply {
  device: string
  id: number | string
  data: unknown
}

export function recordingPublisher(): { replies: Reply[]; replyRpc(device: string, id: number | string, data: unknown): Promise<void> } {
  const replies: Reply[] = []
  return {
    replies,
    replyRpc(device, id, data) {
      replies.push({ device, id, data })
      return Promise.resolve()
    },
  }
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  msg: string
  data?: Record<string, unknown>
}

export function recordingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = []
  const at = (level: LogLine['level']) =>
    logFnOf((msg, data) => {
      lines.push(data === undefined ? { level, msg } : { level, msg, data })
    })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), text: () => JSON.stringify(lines) }
}

// ---------------------------------------------------------------- rules, as the config validator produces them

const ABSOLUTE = /^[a-z][a-z\d+.-]*:\/\//i

export type OutboundInit = Partial<OutboundRequestConfig> & { requestUrlExpression: string }

function outbound(init: OutboundInit, defaults: Partial<OutboundRequestConfig>): OutboundRequestConfig {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(init.httpHeaders ?? {})) headers[k.toLowerCase()] = v
  const url = init.requestUrlExpression
  return {
    httpMethod: 'POST',
    valueExpression: '',
    security: { type: 'anonymous' },
    timeout: 0.5,
    tries: 3,
    allowRedirects: true,
    sslVerify: false,
    extensionConfig: {},
    urlIsRelative: !url.trimStart().startsWith('${') && !ABSOLUTE.test(url.trim()),
    path: 'rule',
    ...defaults,
    ...init,
    httpHeaders: headers,
  }
}

const fullMatch = (filter: string): RegExp => new RegExp(`^(?:${filter})$`)

export function attributeUpdateRule(init: OutboundInit & { deviceNameFilter?: string; attributeFilter?: string }, index = 0): AttributeUpdateRule {
  const { deviceNameFilter = '.*', attributeFilter = '.*', ...rest } = init
  return {
    ...outbound(rest, { path: `attributeUpdates[${index}]` }),
    deviceNameFilter: fullMatch(deviceNameFilter),
    attributeFilter: fullMatch(attributeFilter),
  }
}

export function rpcRule(init: OutboundInit & { deviceNameFilter?: string; methodFilter?: string; responseTimeout?: number }, index = 0): RpcRule {
  const { deviceNameFilter = '.*', methodFilter = '.*', responseTimeout, ...rest } = init
  return {
    ...outbound(rest, { httpMethod: 'GET', path: `serverSideRpc[${index}]` }),
    deviceNameFilter: fullMatch(deviceNameFilter),
    methodFilter: fullMatch(methodFilter),
    ...(responseTimeout === undefined ? {} : { responseTimeout }),
  }
}

export function connectorConfig(parts: { attributeUpdates?: AttributeUpdateRule[]; serverSideRpc?: RpcRule[]; configDir?: string }): RestConnectorConfig {
  return {
    name: 'REST Connector',
    logLevel: 'INFO',
    server: { host: '127.0.0.1', port: 5000, ssl: false, bodyLimit: 1_048_576 },
    mapping: [],
    attributeRequests: [],
    attributeUpdates: parts.attributeUpdates ?? [],
    serverSideRpc: parts.serverSideRpc ?? [],
    configDir: parts.configDir ?? process.cwd(),
  }
}

/** A dispatcher closed when the test has finished; replies recorded; logs recorded. */
export function dispatcherFor(
  parts: { attributeUpdates?: AttributeUpdateRule[]; serverSideRpc?: RpcRule[]; configDir?: string },
  options: Partial<Omit<DispatcherOptions, 'config' | 'publisher'>> = {},
): { dispatcher: Dispatcher; replies: Reply[]; logger: ReturnType<typeof recordingLogger> } {
  const publisher = recordingPublisher()
  const logger = recordingLogger()
  const dispatcher = createDispatcher({ config: connectorConfig(parts), publisher, logger, closeGraceMs: 100, ...options })
  onTestFinished(() => dispatcher.close())
  return { dispatcher, replies: publisher.replies, logger }
}
