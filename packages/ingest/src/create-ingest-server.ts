/**
 * `createIngestServer`: the HTTP(S) server of one REST connector, built once from its normalised
 * config. Routes, security, converters and response bodies are compiled here; a request only runs
 * the compiled handlers.
 */
import type { Server } from 'node:http'
import { join } from 'node:path'
import { H3, type H3Event, type HTTPError } from 'h3'
import { AttributeRequestRoute } from './_attribute-request-route.ts'
import { MappingRoute } from './_mapping-route.ts'
import { errorResponse, toHttpResponse } from './_respond.ts'
import { jsonLimitDefaults, type JsonLimits } from './_json-limits.ts'
import { IngestRuntime } from './_runtime.ts'
import { registerRoutes, type RouteEntry } from './_router.ts'
import { createNodeListener } from './_node-listener.ts'
import { closeServer, createNodeServer, hostPort, listenOn } from './_server.ts'
import { loadTls } from './_tls.ts'
import { IngestError } from './errors.ts'
import { defaultLogger } from './logger.ts'
import { ingestDefaults, type IngestServer, type IngestServerOptions } from './types.ts'

/** The URL clients use for a bound address (wildcards become loopback). */
function urlOf(tls: boolean, host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `${tls ? 'https' : 'http'}://${hostPort(shown, port)}`
}

export function createIngestServer(options: IngestServerOptions): IngestServer {
  const { config, sink } = options
  const logger = options.logger ?? defaultLogger
  const closeTimeoutMs = options.closeTimeoutMs ?? ingestDefaults.closeTimeoutMs
  const requestTimeoutMs = options.requestTimeoutMs ?? ingestDefaults.requestTimeoutMs
  const retryAfterSeconds = options.retryAfterSeconds ?? ingestDefaults.retryAfterSeconds
  const dataDir = options.dataDir ?? join(config.configDir, 'data')
  const limitConfig = config.server
  const limits: JsonLimits = {
    maxDepth: limitConfig.maxJsonDepth ?? jsonLimitDefaults.maxDepth,
    maxElements: limitConfig.maxArrayElements ?? jsonLimitDefaults.maxElements,
    maxKeys: limitConfig.maxJsonKeys ?? jsonLimitDefaults.maxKeys,
  }
  const logIntervalMs = options.logIntervalMs ?? ingestDefaults.logIntervalMs
  const rt = new IngestRuntime(sink, logger, options.connectorName ?? config.name, retryAfterSeconds, limits, logIntervalMs)
  rt.onResponse = options.onResponse
  const bodyLimit = config.server.bodyLimit

  const mappings = config.mapping.map((m) => new MappingRoute(rt, m, bodyLimit, config.configDir, options.converters?.get(m)))
  const attributeRequests = config.attributeRequests.map((a) => new AttributeRequestRoute(rt, a, bodyLimit))
  const entries: RouteEntry[] = [
    ...mappings.map((r) => ({ endpoint: r.mapping.endpoint, methods: r.mapping.methods, handle: r.handle, node: r.handleNode, path: r.mapping.path })),
    ...attributeRequests.map((r) => ({ endpoint: r.config.endpoint, methods: r.config.methods, handle: r.handle, node: r.handleNode, path: r.config.path })),
  ]

  const app = new H3({
    silent: true,
    // Errors raised by h3 itself (e.g. a malformed URL) and anything unexpected: the same JSON shape.
    onError(error: HTTPError, event: H3Event) {
      rt.requests++
      const status = error.status >= 400 && error.status < 500 ? error.status : 500
      if (status === 500) logger.error('unexpected error', { path: event.url.pathname, error: String(error.cause ?? error) })
      const message =
        status === 500
          ? 'the request could not be handled; the gateway log has the details'
          : error.message === 'Bad Request'
            ? 'the request URL is malformed (invalid percent-encoding)'
            : error.message
      return toHttpResponse(rt.finish(errorResponse(status, status === 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', message)))
    },
  })
  registerRoutes(app, entries, rt)

  let server: Server | undefined
  let state: 'idle' | 'starting' | 'listening' | 'closed' = 'idle'

  const ready = async (): Promise<void> => {
    await Promise.all(mappings.map((m) => m.load()))
  }

  return {
    app,
    ready,
    async listen() {
      if (state !== 'idle') throw new IngestError('INVALID_STATE', `listen() called while the server is ${state}`)
      state = 'starting'
      try {
        await ready()
        const tls = await loadTls(config.server, dataDir, logger)
        const tlsSource = config.server.cert ? `${config.server.cert}, ${config.server.key}` : join(dataDir, 'tls')
        if ((state as string) !== 'starting') throw new IngestError('INVALID_STATE', 'close() was called while listen() was starting')
        const created = createNodeServer(createNodeListener(app), { tls, requestTimeoutMs, tlsSource })
        server = created
        const port = await listenOn(created, config.server.host, config.server.port)
        // after start-up, server errors (e.g. out of file descriptors on accept) are logged, never thrown
        created.on('error', (error: Error) => logger.error('HTTP server error', { error: String(error) }))
        if ((state as string) !== 'starting') {
          await closeServer(created, 0)
          throw new IngestError('INVALID_STATE', 'close() was called while listen() was starting')
        }
        state = 'listening'
        rt.listening = true
        const url = urlOf(tls !== undefined, config.server.host, port)
        logger.info('listening', { url, endpoints: entries.length })
        return { url, port }
      } catch (error) {
        if (state === 'starting') state = 'idle'
        server = undefined
        throw error
      }
    },
    async close() {
      if (state === 'closed') return
      state = 'closed'
      rt.closing = true
      rt.listening = false
      if (server) await closeServer(server, closeTimeoutMs)
      rt.requestLog.flush()
    },
    stats: () => rt.stats(),
  }
}
