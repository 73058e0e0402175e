/**
 * Test helpers: configs built directly with defaults (no config validation), a recording sink
 * (plain functions), and small HTTP clients over node:http for what fetch cannot do.
 */
import { logFnOf, type Logger } from '@restgate/core'
import { mkdtemp, rm } from 'node:fs/promises'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  AttributeRequestConfig,
  ConverterConfig,
  DatapointConfig,
  HttpMethod,
  InboundSecurity,
  MappingConfig,
  ResponseConfig,
  RestConnectorConfig,
  ServerConfig,
} from '@restgate/config'
import type { UplinkRecord } from '@restgate/converters'
import type { AttributeRequest, IngestSink } from '../src/index.ts'

export interface DatapointInit {
  key: string
  value: string
  type?: DatapointConfig['type']
}

export interface MappingInit {
  endpoint?: string
  methods?: HttpMethod[]
  security?: InboundSecurity
  /** Device name template (`${...}` → request source). @default '${sensorName}' */
  deviceName?: string
  deviceType?: string
  attributes?: DatapointInit[]
  timeseries?: DatapointInit[]
  extension?: string
  response?: Partial<ResponseConfig>
}

function sourceOf(text: string): 'request' | 'constant' {
  return text.includes('${') ? 'request' : 'constant'
}

export function converterConfig(init: MappingInit, path: string): ConverterConfig {
  const name = init.deviceName ?? '${sensorName}'
  const profile = init.deviceType ?? 'default'
  const items = (list: DatapointInit[] | undefined, where: string): DatapointConfig[] =>
    (list ?? []).map((d, i) => ({ key: d.key, value: d.value, type: d.type ?? 'string', dayfirst: false, yearfirst: false, path: `${path}.${where}[${i}]` }))
  const config: ConverterConfig = {
    type: init.extension ? 'custom' : 'json',
    extensionConfig: {},
    deviceInfo: { nameSource: sourceOf(name), name, profileSource: sourceOf(profile), profile },
    attributes: items(init.attributes, 'attributes'),
    timeseries: items(init.timeseries, 'timeseries'),
    raw: {},
    path,
  }
  if (init.extension) config.extension = init.extension
  return config
}

export function mapping(init: MappingInit = {}, index = 0): MappingConfig {
  const path = `mapping[${index}]`
  return {
    endpoint: init.endpoint ?? '/my_devices',
    methods: init.methods ?? ['POST'],
    security: init.security ?? { type: 'anonymous' },
    path,
    converter: converterConfig(init, `${path}.converter`),
    response: { responseExpected: false, timeout: 120, ...init.response },
  }
}

export function attributeRequest(init: Partial<AttributeRequestConfig> = {}, index = 0): AttributeRequestConfig {
  return {
    endpoint: '/sharedAttributes',
    methods: ['POST'],
    security: { type: 'anonymous' },
    type: 'shared',
    timeout: 10,
    deviceNameExpression: '${deviceName}',
    attributeNameExpression: '${attribute}',
    path: `requestsMapping.attributeRequests[${index}]`,
    ...init,
  }
}

export function restConfig(
  init: {
    mapping?: MappingConfig[]
    attributeRequests?: AttributeRequestConfig[]
    server?: Partial<ServerConfig>
    configDir?: string
  } = {},
): RestConnectorConfig {
  return {
    name: 'REST Connector',
    logLevel: 'INFO',
    server: { host: '127.0.0.1', port: 0, ssl: false, bodyLimit: 1024 * 1024, ...init.server },
    mapping: init.mapping ?? [],
    attributeRequests: init.attributeRequests ?? [],
    attributeUpdates: [],
    serverSideRpc: [],
    configDir: init.configDir ?? tmpdir(),
  }
}

/** The docs' `/my_devices` mapping (basic auth user/password), new-format equivalent. */
export function docsMyDevices(index = 0, security?: InboundSecurity): MappingConfig {
  return mapping(
    {
      endpoint: '/my_devices',
      methods: ['POST'],
      security: security ?? { type: 'basic', users: [{ username: 'user', password: 'password' }] },
      deviceName: '${sensorName}',
      deviceType: '${sensorType}',
      attributes: [
        { key: 'model', value: '${sensorModel}' },
        { key: '${sensorModel}', value: 'on' },
      ],
      timeseries: [
        { key: 'temperature', value: '${temp}', type: 'double' },
        { key: 'humidity', value: '${hum}', type: 'double' },
      ],
    },
    index,
  )
}

export interface AcceptCall {
  records: UplinkRecord[]
  connectorName: string
}

export interface RecordingSink extends IngestSink {
  accepted: AcceptCall[]
  attributeRequests: Array<{ request: AttributeRequest; timeoutMs: number }>
  waits: Array<{ device: string; key: string; timeoutMs: number; signal?: AbortSignal }>
  /** All records of all accept calls. */
  records(): UplinkRecord[]
}

export interface RecordingSinkInit {
  accept?: (records: UplinkRecord[]) => Promise<void>
  requestAttributes?: (request: AttributeRequest, timeoutMs: number) => Promise<unknown>
  waitForAttribute?: (device: string, key: string, timeoutMs: number, signal?: AbortSignal) => Promise<unknown>
}

/** A sink made of plain functions that records every call. */
export function recordingSink(init: RecordingSinkInit = {}): RecordingSink {
  const sink: RecordingSink = {
    accepted: [],
    attributeRequests: [],
    waits: [],
    records: () => sink.accepted.flatMap((c) => c.records),
    async accept(records, meta) {
      if (init.accept) await init.accept(records)
      sink.accepted.push({ records, connectorName: meta.connectorName })
    },
    requestAttributes(request, timeoutMs) {
      sink.attributeRequests.push({ request, timeoutMs })
      return init.requestAttributes ? init.requestAttributes(request, timeoutMs) : Promise.resolve({ id: 1, device: request.device, value: 'x' })
    },
    waitForAttribute(device, key, timeoutMs, signal) {
      sink.waits.push({ device, key, timeoutMs, signal })
      return init.waitForAttribute
        ? init.waitForAttribute(device, key, timeoutMs, signal)
        : Promise.reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }))
    },
  }
  return sink
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One request over node:http (any method, headers and body bytes), bounded in time. */
export function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array; path?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(init.path ?? '', url)
    const req = httpRequest(target, { method: init.method ?? 'GET', headers: init.headers, timeout: 10_000, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(init.body)
  })
}

/** A temporary folder removed by the returned cleanup. */
export async function tempDir(prefix = 'restgate-ingest-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Custom converters as users write them, as files found by a bare `extension` name. */
export const CUSTOM_CONVERTERS: Record<string, string> = {
  // The docs' `/anon1` converter: constant device, model attribute, temp/hum telemetry.
  'CustomConverter.mjs': `
export default {
  convert(data) {
    const items = Array.isArray(data) ? data : [data]
    return items.map((d) => {
      const values = {}
      if (d.temp !== undefined) values.temperature = Number(d.temp)
      if (d.hum !== undefined) values.humidity = Number(d.hum)
      return { deviceName: 'Device 2', attributes: { model: 'Model2' }, telemetry: Object.keys(values).length ? [{ values }] : [] }
    })
  },
}
`,
  // Reports what it saw of the raw request.
  'RawConverter.mjs': `
export default {
  convert(data, request) {
    return {
      deviceName: 'Raw',
      attributes: {
        length: request.body.length,
        first: request.body[0] ?? 'none',
        contentType: request.contentType ?? 'none',
        header: request.headers['x-test'] ?? 'none',
        authorization: request.headers.authorization ?? 'none',
        method: request.method,
        path: request.path,
        data,
      },
    }
  },
}
`,
  'ThrowingConverter.mjs': `
export default {
  convert() {
    throw new Error('secret internal detail')
  },
}
`,
}

/** A config folder with `extensions/rest/*.mjs` custom converters. */
export async function configDirWithConverters(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const { mkdir, writeFile } = await import('node:fs/promises')
  const temp = await tempDir('restgate-ingest-config-')
  await mkdir(join(temp.dir, 'extensions', 'rest'), { recursive: true })
  for (const [file, source] of Object.entries(CUSTOM_CONVERTERS)) await writeFile(join(temp.dir, 'extensions', 'rest', file), source)
  return temp
}

/** A logger that keeps every line. */
export function memoryLogger(): Logger & { lines: Array<{ level: string; msg: string; data?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; msg: string; data?: Record<string, unknown> }> = []
  const at = (level: string) =>
    logFnOf((msg, data) => {
      lines.push({ level, msg, data })
    })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
