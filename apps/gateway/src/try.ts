/**
 * `restgate try`: a dry run of one request through the real ingest server and converter of a config
 * (no broker, nothing listens), plus the exact Gateway API messages the gateway would publish,
 * built by tb-client's own payload code. The sandbox's "try a request" panel runs the same code
 * through the callback the gateway hands it (`createTryRunner`).
 *
 * Exit codes: 0 the request would be accepted (2xx, or published and waiting for ThingsBoard's
 * reply), 1 the request would be refused (4xx/5xx), 2 usage or config error.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { formatIssues, readConfig, type RestConnectorConfig } from '@restgate/config'
import type { UplinkRecord } from '@restgate/converters'
import { loadTryConverters, tryRequest, type TryMatch, type TryRequestResult } from '@restgate/ingest'
import { toAttributeRequestMessage, toGatewayMessages, tbClientDefaults } from '@restgate/tb-client/messages'
import type { SandboxTry } from '@restgate/sandbox'
import { loadGatewayFiles, type LoadedGateway } from './load-config.ts'
import { formatTryReport } from './try-format.ts'

export const tryUsage = `restgate try --config <rest.json | tb_gateway.json> [--endpoint /path] [--method POST]
             [--header 'K: V']... [--user name:password] [--data '<body>' | --data @file] [--query 'a=1&b=2'] [--json]
  Runs one request through the real mapping (routing, security, converter, answer) without a broker
  and prints the endpoint it reached, the HTTP answer the device would get, the records, the dropped
  datapoints, and the Gateway API messages (topic + payload) that would be published.
  --endpoint  default: the first mapping's endpoint (and then its first method)
  --method    default: POST with --data, GET without
  --data      the body; @file reads it from a file. Content-Type defaults to application/json.
  --json      print the report as JSON
  Exit codes: 0 accepted (2xx, or published and waiting for ThingsBoard's reply), 1 refused, 2 usage/config error.`

/** One request to try, as the CLI flags or the sandbox's form give it. */
export interface TryInput {
  method?: string
  /** Path, optionally with `?query`. */
  endpoint?: string
  query?: string
  headers?: Record<string, string>
  body?: string | Uint8Array
}

export interface TryValue {
  key: string
  value: unknown
  /** How ThingsBoard stores it: string, boolean, long, double or json. */
  type: string
}

export interface TryReport {
  connector: string
  request: { method: string; url: string }
  match: TryMatch
  response: { status: number; contentType: string | null; body: string }
  /** accepted: 2xx; waiting: published, the answer needs ThingsBoard's reply; refused: 4xx/5xx. */
  outcome: 'accepted' | 'waiting' | 'refused'
  records: Array<{ device: string; type: string; attributes: TryValue[]; telemetry: Array<{ ts: number; values: TryValue[] }> }>
  dropped: Array<{ path: string; key: string | null; reason: string; index?: number }>
  warnings: Array<{ path: string; key: string | null; reason: string; index?: number }>
  messages: Array<{ topic: string; payload: string }>
  /** What the answer waits for (attribute requests, `responseExpected`). */
  waitsFor?: string
  /** Errors and warnings the ingest server logged for this request. */
  log: Array<{ level: string; msg: string; data?: Record<string, unknown> }>
}

export interface TryTarget {
  connectors: RestConnectorConfig[]
  /** @default tb-client's default (8196) */
  maxPayloadSizeBytes?: number
}

export type TryRunner = (input: TryInput) => Promise<TryReport>

function typeOf(value: unknown): string {
  if (typeof value === 'string') return 'string'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'double'
  return 'json'
}

const values = (o: Record<string, unknown>): TryValue[] => Object.entries(o).map(([key, value]) => ({ key, value, type: typeOf(value) }))

function recordsOf(records: readonly UplinkRecord[]): TryReport['records'] {
  return records.map((r) => ({
    device: r.deviceName,
    type: r.deviceType,
    attributes: values(r.attributes),
    telemetry: r.telemetry.map((t) => ({ ts: t.ts, values: values(t.values) })),
  }))
}

function urlOf(config: RestConnectorConfig, endpoint: string, query: string | undefined): string {
  const host = config.server.host === '0.0.0.0' || config.server.host === '' ? '127.0.0.1' : config.server.host
  const url = new URL(`http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`)
  const [path, inlineQuery] = endpoint.split('?', 2) as [string, string | undefined]
  url.pathname = path.startsWith('/') ? path : `/${path}`
  const q = [inlineQuery, query].filter((s) => s !== undefined && s !== '').join('&')
  if (q !== '') url.search = q.startsWith('?') ? q : `?${q}`
  return url.toString()
}

function toRequest(config: RestConnectorConfig, input: TryInput): { request: Request; method: string } {
  const first = config.mapping[0] ?? config.attributeRequests[0]
  const endpoint = input.endpoint ?? first?.endpoint ?? '/'
  const method = (
    input.method ??
    (input.endpoint === undefined && first ? first.methods[0] : undefined) ??
    (input.body !== undefined ? 'POST' : 'GET')
  ).toUpperCase()
  const headers = new Headers(input.headers)
  const hasBody = input.body !== undefined && method !== 'GET' && method !== 'HEAD'
  if (hasBody && !headers.has('content-type')) headers.set('content-type', 'application/json')
  const init: RequestInit = { method, headers }
  if (hasBody) init.body = input.body as NonNullable<RequestInit['body']>
  return { request: new Request(urlOf(config, endpoint, input.query), init), method }
}

function toReport(config: RestConnectorConfig, request: Request, result: TryRequestResult, maxPayloadSizeBytes: number): TryReport {
  const status = result.response.status
  const dropped: TryReport['dropped'] = []
  const warnings: TryReport['warnings'] = []
  for (const d of result.dropped) {
    const entry: TryReport['dropped'][number] = { path: d.path, key: d.key ?? null, reason: d.reason }
    if (d.index !== undefined) entry.index = d.index
    ;(d.warning ? warnings : dropped).push(entry)
  }
  const messages: TryReport['messages'] = []
  if (result.records.length > 0) {
    const built = toGatewayMessages(result.records, { connectorName: config.name, maxPayloadSizeBytes })
    messages.push(...built.messages)
    for (const x of built.dropped) dropped.push({ path: `records (device "${x.device}")`, key: x.key, reason: `not JSON-serialisable: ${x.reason}` })
  }
  let waitsFor: string | undefined
  if (result.attributeRequest) {
    const a = result.attributeRequest
    messages.push(toAttributeRequestMessage(a, 1))
    waitsFor = `ThingsBoard's answer to the attribute request (${a.client ? 'client' : 'shared'} attributes ${a.keys.join(', ')} of device "${a.device}"); the device gets that answer, or this ${status} after ${a.timeoutMs / 1000} s without one`
  } else if (result.awaitsAttribute) {
    const w = result.awaitsAttribute
    waitsFor = `an update of attribute "${w.key}" of device "${w.device}" from ThingsBoard (responseExpected); the device gets its value, or this ${status} after ${w.timeoutMs / 1000} s without one`
  }
  const outcome = waitsFor !== undefined ? 'waiting' : status >= 200 && status < 300 ? 'accepted' : 'refused'
  return {
    connector: config.name,
    request: { method: request.method, url: request.url },
    match: result.match,
    response: { status, contentType: result.response.headers['content-type'] ?? null, body: result.response.body },
    outcome,
    records: recordsOf(result.records),
    dropped,
    warnings,
    messages,
    ...(waitsFor !== undefined ? { waitsFor } : {}),
    log: result.log.filter((l) => l.level === 'warn' || l.level === 'error'),
  }
}

/**
 * A function that tries requests against `target`'s connectors; converters are loaded once, at the
 * first call. With several connectors the request goes to the first one with an endpoint at its path.
 */
export function createTryRunner(target: TryTarget): TryRunner {
  const maxPayloadSizeBytes = target.maxPayloadSizeBytes ?? tbClientDefaults.maxPayloadSizeBytes
  let converters: Promise<Array<Awaited<ReturnType<typeof loadTryConverters>>>> | undefined
  return async (input) => {
    converters ??= Promise.all(target.connectors.map((c) => loadTryConverters(c))).catch((error: unknown) => {
      converters = undefined
      throw error
    })
    const loaded = await converters
    let first: TryReport | undefined
    for (let i = 0; i < target.connectors.length; i++) {
      const config = target.connectors[i] as RestConnectorConfig
      const { request } = toRequest(config, input)
      const result = await tryRequest(config, request.clone(), { converters: loaded[i] as Awaited<ReturnType<typeof loadTryConverters>> })
      const report = toReport(config, request, result, maxPayloadSizeBytes)
      if (report.match.kind !== 'none' || report.match.reason !== 'NOT_FOUND') return report
      first ??= report
    }
    if (!first) throw new Error('no REST connector to try the request on')
    if (target.connectors.length > 1 && first.match.kind === 'none' && first.match.reason === 'NOT_FOUND') {
      first.match.endpoints = target.connectors.flatMap((c) => [...c.mapping.map((m) => m.endpoint), ...c.attributeRequests.map((a) => a.endpoint)])
    }
    return first
  }
}

/** The sandbox page's "try a request" callback for a running gateway's config. */
export function createSandboxTry(loaded: LoadedGateway): SandboxTry {
  const run = createTryRunner({ connectors: loaded.connectors, maxPayloadSizeBytes: loaded.gateway.thingsboard.maxPayloadSizeBytes })
  return async (request) => {
    const report = await run(request)
    return { text: formatTryReport(report), report }
  }
}

/** Loads rest.json or tb_gateway.json (and its connectors) into a try target; prints problems. */
async function loadTarget(file: string): Promise<TryTarget | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`)
    return undefined
  }
  if (/"(thingsboard|connectors)"\s*:/.test(text)) {
    const loaded = await loadGatewayFiles(file)
    const shown = formatIssues({ issues: loaded.ok ? [] : loaded.issues, warnings: [] }, { file })
    if (!loaded.ok) {
      process.stderr.write(shown + '\n')
      return undefined
    }
    return { connectors: loaded.value.connectors, maxPayloadSizeBytes: loaded.value.gateway.thingsboard.maxPayloadSizeBytes }
  }
  const result = await readConfig(file)
  if (!result.ok) {
    process.stderr.write(formatIssues({ issues: result.issues, warnings: [] }, { file }) + '\n')
    return undefined
  }
  return { connectors: [result.config] }
}

/** `restgate try ...`: resolves to the exit code. */
export async function runTryCommand(argv: readonly string[]): Promise<number> {
  let v
  try {
    v = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        endpoint: { type: 'string', short: 'e' },
        method: { type: 'string', short: 'X' },
        header: { type: 'string', short: 'H', multiple: true },
        user: { type: 'string', short: 'u' },
        data: { type: 'string', short: 'd' },
        query: { type: 'string', short: 'q' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values
  } catch (error) {
    process.stderr.write(`restgate try: ${(error as Error).message}\n\n${tryUsage}\n`)
    return 2
  }
  if (v.help) {
    process.stdout.write(tryUsage + '\n')
    return 0
  }
  if (!v.config) {
    process.stderr.write(`restgate try: missing --config <rest.json | tb_gateway.json>\n\n${tryUsage}\n`)
    return 2
  }
  const headers: Record<string, string> = {}
  for (const h of v.header ?? []) {
    const colon = h.indexOf(':')
    if (colon <= 0) {
      process.stderr.write(`restgate try: --header expects 'Name: value'; got "${h}"\n`)
      return 2
    }
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim()
  }
  if (v.user !== undefined && headers['authorization'] === undefined) headers['authorization'] = `Basic ${Buffer.from(v.user).toString('base64')}`
  let body: string | Uint8Array | undefined = v.data
  if (v.data?.startsWith('@')) {
    try {
      body = new Uint8Array(await readFile(v.data.slice(1)))
    } catch (error) {
      process.stderr.write(`restgate try: cannot read --data ${v.data}: ${(error as Error).message}\n`)
      return 2
    }
  }
  const target = await loadTarget(v.config)
  if (!target) return 2
  let report: TryReport
  try {
    report = await createTryRunner(target)({
      ...(v.method ? { method: v.method } : {}),
      ...(v.endpoint ? { endpoint: v.endpoint } : {}),
      ...(v.query ? { query: v.query } : {}),
      headers,
      ...(body !== undefined ? { body } : {}),
    })
  } catch (error) {
    process.stderr.write(`restgate try: ${(error as Error).message}\n`)
    return 2
  }
  process.stdout.write((v.json ? JSON.stringify(report, null, 2) : formatTryReport(report)) + '\n')
  return report.outcome === 'refused' ? 1 : 0
}
