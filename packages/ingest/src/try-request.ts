/**
 * `tryRequest`: a dry run of one HTTP request through the real ingest server of a connector config
 * (routing, auth, body parsing, converter, response) without listening and without ThingsBoard.
 * The sink records what it receives instead of storing it; what waits for ThingsBoard (an attribute
 * request, `responseExpected`) is recorded and answered as if ThingsBoard never replied.
 */
import { logFnOf } from '@restgate/core'
import type { MappingConfig, RestConnectorConfig } from '@restgate/config'
import { loadConverter, type ConvertResult, type DroppedDatapoint, type UplinkConverter, type UplinkRecord } from '@restgate/converters'
import { H3, HTTPResponse } from 'h3'
import { registerRoutes, type RouteEntry } from './_router.ts'
import { IngestRuntime } from './_runtime.ts'
import { createIngestServer } from './create-ingest-server.ts'
import type { Logger } from './logger.ts'
import type { AttributeRequest, IngestSink } from './types.ts'

/** Which configured endpoint a request reached, or why none did. */
export type TryMatch =
  | { kind: 'mapping'; index: number; endpoint: string; methods: string[]; path: string }
  | { kind: 'attributeRequest'; index: number; endpoint: string; methods: string[]; path: string }
  | { kind: 'none'; reason: 'NOT_FOUND'; endpoints: string[] }
  | { kind: 'none'; reason: 'METHOD_NOT_ALLOWED'; allowed: string[] }

export interface TryLogLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  msg: string
  data?: Record<string, unknown>
}

export interface TryRequestResult {
  match: TryMatch
  /** What the device gets (for requests that wait for ThingsBoard: the answer when it never replies). */
  response: { status: number; headers: Record<string, string>; body: string }
  /** Records handed to the sink (what the gateway would store and publish). */
  records: UplinkRecord[]
  /** Datapoints the converter left out (`warning: true`: sent, only a fallback applied). */
  dropped: DroppedDatapoint[]
  /** The attribute request that would be sent to ThingsBoard (attribute-request endpoints). */
  attributeRequest?: AttributeRequest & { timeoutMs: number }
  /** `responseExpected`: the answer waits for the next update of this attribute of this device. */
  awaitsAttribute?: { device: string; key: string; timeoutMs: number }
  /** What the ingest server logged while handling the request. */
  log: TryLogLine[]
}

export interface TryRequestOptions {
  /** Ready converters per mapping; the others are loaded with `loadConverter` (once per call). */
  converters?: Map<MappingConfig, UplinkConverter>
  /** Name passed to the sink. @default config.name */
  connectorName?: string
}

/** Thrown away by the recording sink: the dry run has no ThingsBoard to answer. */
class NoReply extends Error {
  readonly code = 'TIMEOUT'
}

/** Loads (or takes) the converters of every mapping; `tryRequest` loads them once per call unless handed in. */
export async function loadTryConverters(config: RestConnectorConfig, logger?: Logger): Promise<Map<MappingConfig, UplinkConverter>> {
  const out = new Map<MappingConfig, UplinkConverter>()
  for (const m of config.mapping) {
    out.set(m, await loadConverter(m.converter, { configDir: config.configDir, ...(logger ? { logger } : {}) }))
  }
  return out
}

/** A probe handler: says which entry a request reached. */
const answer = (kind: string, index: number) => async (): Promise<HTTPResponse> =>
  new HTTPResponse(JSON.stringify({ kind, index }), { status: 200, headers: { 'content-type': 'application/json' } })

/** The same router as the server's, with handlers that only say which entry a request reaches. */
function probeRouter(config: RestConnectorConfig): H3 {
  const app = new H3({ silent: true })
  const rt = new IngestRuntime({ accept: async () => {} }, { debug() {}, info() {}, warn() {}, error() {} }, config.name, 1)
  const entries: RouteEntry[] = [
    ...config.mapping.map((m, i) => ({ endpoint: m.endpoint, methods: m.methods, path: m.path, handle: answer('mapping', i) })),
    ...config.attributeRequests.map((a, i) => ({ endpoint: a.endpoint, methods: a.methods, path: a.path, handle: answer('attributeRequest', i) })),
  ]
  registerRoutes(app, entries, rt)
  return app
}

async function matchOf(config: RestConnectorConfig, method: string, url: string): Promise<TryMatch> {
  const res = await probeRouter(config).fetch(new Request(url, { method }))
  if (res.status === 405) {
    const allow = res.headers.get('allow') ?? ''
    return {
      kind: 'none',
      reason: 'METHOD_NOT_ALLOWED',
      allowed: allow
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    }
  }
  if (res.status !== 200) {
    const endpoints = [...config.mapping.map((m) => m.endpoint), ...config.attributeRequests.map((a) => a.endpoint)]
    return { kind: 'none', reason: 'NOT_FOUND', endpoints }
  }
  const hit = (await res.json()) as { kind: 'mapping' | 'attributeRequest'; index: number }
  const e = hit.kind === 'mapping' ? config.mapping[hit.index] : config.attributeRequests[hit.index]
  if (e === undefined) throw new Error(`tryRequest: ${hit.kind}[${hit.index}] is not in the config`)
  return { kind: hit.kind, index: hit.index, endpoint: e.endpoint, methods: [...e.methods], path: e.path }
}

/**
 * Runs `request` through the connector's ingest server (built from `config` exactly as the gateway
 * builds it) and reports what happened. Throws what `createIngestServer`/`loadConverter` throw for
 * an unusable config or converter.
 */
export async function tryRequest(config: RestConnectorConfig, request: Request, options: TryRequestOptions = {}): Promise<TryRequestResult> {
  const log: TryLogLine[] = []
  const line = (level: TryLogLine['level']) =>
    logFnOf((msg, data) => {
      log.push(data === undefined ? { level, msg } : { level, msg, data })
    })
  const logger: Logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }
  const loaded = options.converters ?? (await loadTryConverters(config, logger))

  const records: UplinkRecord[] = []
  const dropped: DroppedDatapoint[] = []
  const result: Partial<TryRequestResult> = {}
  // every converter reports what it returned (its `dropped` never reaches the sink)
  const converters = new Map<MappingConfig, UplinkConverter>()
  for (const [mapping, converter] of loaded) {
    converters.set(mapping, {
      async convert(data, info) {
        const out: ConvertResult = await converter.convert(data, info)
        if (out && Array.isArray(out.dropped)) dropped.push(...out.dropped)
        return out
      },
    })
  }
  const sink: IngestSink = {
    async accept(accepted) {
      records.push(...accepted)
    },
    async requestAttributes(req: AttributeRequest, timeoutMs: number) {
      result.attributeRequest = { ...req, keys: [...req.keys], timeoutMs }
      throw new NoReply('dry run: ThingsBoard does not answer')
    },
    async waitForAttribute(device: string, key: string, timeoutMs: number) {
      result.awaitsAttribute = { device, key, timeoutMs }
      throw new NoReply('dry run: ThingsBoard does not answer')
    },
  }
  const server = createIngestServer({ config, sink, converters, logger, ...(options.connectorName ? { connectorName: options.connectorName } : {}) })
  const match = await matchOf(config, request.method, request.url)
  const res = await server.app.fetch(request)
  const headers: Record<string, string> = {}
  res.headers.forEach((value, name) => {
    headers[name] = value
  })
  return {
    match,
    response: { status: res.status, headers, body: await res.text() },
    records,
    dropped,
    ...result,
    log,
  }
}
