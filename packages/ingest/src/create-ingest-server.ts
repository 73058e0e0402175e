/**
 * `createIngestServer`: the HTTP(S) server of one REST connector, built once from its normalised
 * config. Routes, security, converters and response bodies are compiled here; a request only runs
 * the compiled handlers.
 */
import type { Server } from 'node:http'
import type { MappingConfig, RestConnectorConfig } from '@restgate/config'
import type { UplinkConverter } from '@restgate/converters'
import { join } from 'node:path'
import { H3, type H3Event, type HTTPError } from 'h3'
import { AttributeRequestRoute } from './_attribute-request-route.ts'
import { MappingRoute } from './_mapping-route.ts'
import { errorResponse, toHttpResponse } from './_respond.ts'
import { jsonLimitDefaults, type JsonLimits } from './_json-limits.ts'
import { IngestRuntime } from './_runtime.ts'
import { registerRoutes, type RouteEntry } from './_router.ts'
import { createNodeListener, listenerTarget, type ListenerTarget } from './_node-listener.ts'
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

/** The listen-time fields of `server`: a running server keeps them; `update()` refuses others. */
const LISTEN_FIELDS = ['host', 'port', 'ssl', 'cert', 'key', 'clientCa'] as const

/** The per-request work limits of a config (`server.maxJsonDepth`, ...), defaults filled in. */
function limitsOf(config: RestConnectorConfig): JsonLimits {
  const server = config.server
  return {
    maxDepth: server.maxJsonDepth ?? jsonLimitDefaults.maxDepth,
    maxElements: server.maxArrayElements ?? jsonLimitDefaults.maxElements,
    maxKeys: server.maxJsonKeys ?? jsonLimitDefaults.maxKeys,
  }
}

/** What `update()` swaps: the routes (with their converters and security) built from one config. */
interface Generation extends ListenerTarget {
  readonly config: RestConnectorConfig
  readonly mappings: MappingRoute[]
  readonly endpoints: number
}

export function createIngestServer(options: IngestServerOptions): IngestServer {
  const { sink } = options
  const logger = options.logger ?? defaultLogger
  const closeTimeoutMs = options.closeTimeoutMs ?? ingestDefaults.closeTimeoutMs
  const requestTimeoutMs = options.requestTimeoutMs ?? ingestDefaults.requestTimeoutMs
  const retryAfterSeconds = options.retryAfterSeconds ?? ingestDefaults.retryAfterSeconds
  const dataDir = options.dataDir ?? join(options.config.configDir, 'data')
  const logIntervalMs = options.logIntervalMs ?? ingestDefaults.logIntervalMs
  const rt = new IngestRuntime(sink, logger, options.connectorName ?? options.config.name, retryAfterSeconds, limitsOf(options.config), logIntervalMs)
  rt.onResponse = options.onResponse

  function compile(config: RestConnectorConfig, converters: Map<MappingConfig, UplinkConverter> | undefined): Generation {
    const bodyLimit = config.server.bodyLimit

    const mappings = config.mapping.map((m) => new MappingRoute(rt, m, bodyLimit, config.configDir, converters?.get(m)))
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
        if (status === 500) logger.error({ path: event.url.pathname, error: String(error.cause ?? error) }, 'unexpected error')
        const message =
          status === 500
            ? 'the request could not be handled; the gateway log has the details'
            : error.message === 'Bad Request'
              ? 'the request URL is malformed (invalid percent-encoding)'
              : error.message
        return toHttpResponse(rt.finish(errorResponse(status, status === 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', message)))
      },
    })
    const fast = registerRoutes(app, entries, rt)
    return { ...listenerTarget(app, fast), config, mappings, endpoints: entries.length }
  }

  /** The generation serving requests; the Node listener and `app` read it per request. */
  const ref: { current: Generation } = { current: compile(options.config, options.converters) }
  /** `update()`s apply in call order. */
  let updating: Promise<unknown> = Promise.resolve()

  let server: Server | undefined
  let state: 'idle' | 'starting' | 'listening' | 'closed' = 'idle'

  const ingest: IngestServer = {
    get app() {
      return ref.current.app
    },
    async ready() {
      await Promise.all(ref.current.mappings.map((m) => m.load()))
    },
    async listen() {
      if (state !== 'idle') throw new IngestError('INVALID_STATE', `listen() called while the server is ${state}`)
      state = 'starting'
      try {
        const { config, mappings, endpoints } = ref.current
        await Promise.all(mappings.map((m) => m.load()))
        const tls = await loadTls(config.server, dataDir, logger)
        const tlsSource = config.server.cert ? `${config.server.cert}, ${config.server.key}` : join(dataDir, 'tls')
        if ((state as string) !== 'starting') throw new IngestError('INVALID_STATE', 'close() was called while listen() was starting')
        const created = createNodeServer(createNodeListener(ref), { tls, requestTimeoutMs, tlsSource })
        server = created
        const port = await listenOn(created, config.server.host, config.server.port)
        // after start-up, server errors (e.g. out of file descriptors on accept) are logged, never thrown
        created.on('error', (error: Error) => logger.error({ error: String(error) }, 'HTTP server error'))
        if ((state as string) !== 'starting') {
          await closeServer(created, 0)
          throw new IngestError('INVALID_STATE', 'close() was called while listen() was starting')
        }
        state = 'listening'
        rt.listening = true
        const url = urlOf(tls !== undefined, config.server.host, port)
        logger.info({ url, endpoints }, 'listening')
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
    async prepare(config, prepareOptions = {}) {
      if (state === 'closed') throw new IngestError('INVALID_STATE', 'update() called after close()')
      const running = ref.current.config.server
      if (state !== 'idle') {
        const changed = LISTEN_FIELDS.filter((f) => running[f] !== config.server[f])
        if (changed.length > 0) {
          throw new IngestError(
            'CONFIG_INVALID',
            `server.${changed.join(', server.')} cannot change on a listening server (it listens with the old value); create a new server for it`,
          )
        }
      }
      const next = compile(config, prepareOptions.converters)
      await Promise.all(next.mappings.map((m) => m.load()))
      let applied = false
      return {
        apply() {
          if (applied) return
          applied = true
          if (state === 'closed') throw new IngestError('INVALID_STATE', 'update() called after close()')
          ref.current = next
          rt.limits = limitsOf(next.config)
          logger.info({ endpoints: next.endpoints }, 'mapping updated')
        },
      }
    },
    update(config, updateOptions) {
      const run = updating.then(async () => (await ingest.prepare(config, updateOptions)).apply())
      updating = run.catch(() => {})
      return run
    },
    stats: () => rt.stats(),
  }
  return ingest
}
