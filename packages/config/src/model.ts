/**
 * The normalised, typed model that `validateConfig` / `validateGatewayConfig` produce.
 * Both `rest.json` formats (old: top-level host/port/SSL, converter.deviceNameExpression; new:
 * server / deviceInfo / requestsMapping) normalise to these shapes, with every default filled.
 * This is the contract between `@restgate/config` and every package that consumes a config.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'

/** Datapoint value types after normalising the spellings (`float`→`double`, `integer`/`long`→`int`, `boolean`→`bool`). */
export type ValueType = 'string' | 'double' | 'int' | 'bool' | 'json'

/** A position in the user's JSON file, e.g. `mapping[0].converter.timeseries[1].value`. */
export type ConfigPath = string

/** Security of an inbound endpoint (device → gateway). */
export type InboundSecurity =
  | { type: 'anonymous' }
  | { type: 'basic'; users: ReadonlyArray<{ username: string; password: string }> }
  | { type: 'bearer'; tokens: readonly string[] }

export interface DatapointConfig {
  /** Key template (keys may be templated: `${kind}_value`). */
  key: string
  /** Value template, or a constant. */
  value: string
  type: ValueType
  /** Optional `${path}` naming the body field that holds this item's timestamp. */
  tsField?: string
  /** @default false */
  dayfirst: boolean
  /** @default false */
  yearfirst: boolean
  /** Where this item sits in the config file. */
  path: ConfigPath
}

export interface DeviceInfoConfig {
  /** `constant`: `name` is used literally; `request`: `name` is a template resolved per request. */
  nameSource: 'request' | 'constant'
  name: string
  /** @default 'constant' with profile 'default' when the config gives no type/profile. */
  profileSource: 'request' | 'constant'
  profile: string
}

export interface ConverterConfig {
  /** `custom` when an `extension` is named. */
  type: 'json' | 'custom'
  /** Module specifier of a custom converter: a path, a package name or a bare class name. */
  extension?: string
  /** Free-form options for a custom converter (`extensionConfig` / old `extension-config`). */
  extensionConfig: Record<string, unknown>
  deviceInfo: DeviceInfoConfig
  attributes: DatapointConfig[]
  timeseries: DatapointConfig[]
  /** The converter section as the user wrote it (custom converters may read their own keys). */
  raw: Record<string, unknown>
  path: ConfigPath
}

export interface ResponseConfig {
  /** Body of a 200 when given (sent as text when a string, as JSON otherwise). */
  successResponse?: unknown
  /** Body of error answers when given. */
  unsuccessfulResponse?: unknown
  /** @default false */
  responseExpected: boolean
  /** Seconds to wait for `responseAttribute`. @default 120 */
  timeout: number
  responseAttribute?: string
}

export interface EndpointConfig {
  /** Path, h3/aiohttp syntax: `/dev/{name}` or `/dev/:name`. */
  endpoint: string
  /** @default ['POST'] */
  methods: HttpMethod[]
  /** @default { type: 'anonymous' } */
  security: InboundSecurity
  path: ConfigPath
}

export interface MappingConfig extends EndpointConfig {
  converter: ConverterConfig
  response: ResponseConfig
}

export interface AttributeRequestConfig extends EndpointConfig {
  /** @default 'shared' */
  type: 'shared' | 'client'
  /** Seconds to wait for ThingsBoard's answer. @default 10 */
  timeout: number
  /** @default '${deviceName}' */
  deviceNameExpression: string
  /** Every `${...}` in it names one attribute key. @default '${attribute}' */
  attributeNameExpression: string
}

/** Security of an outbound request (gateway → external HTTP API). */
export type OutboundSecurity =
  | { type: 'anonymous' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'cert'; cert: string; key?: string; ca?: string }

export interface OutboundRequestConfig {
  /** @default 'POST' for attributeUpdates, 'GET' for serverSideRpc (docs' tables) */
  httpMethod: HttpMethod
  requestUrlExpression: string
  valueExpression: string
  /** Header names lower-cased (config may spell them in any case). */
  httpHeaders: Record<string, string>
  security: OutboundSecurity
  /** Seconds per try. @default 0.5 */
  timeout: number
  /** Total attempts. @default 3 */
  tries: number
  /** @default true */
  allowRedirects: boolean
  /** @default false */
  sslVerify: boolean
  /** Custom downlink converter module. */
  extension?: string
  extensionConfig: Record<string, unknown>
  /** true when `requestUrlExpression` has no scheme and host (calls to it fail with a clear error). */
  urlIsRelative: boolean
  path: ConfigPath
}

export interface AttributeUpdateRule extends OutboundRequestConfig {
  /** Compiled, full-match (`^(?:...)$`). */
  deviceNameFilter: RegExp
  attributeFilter: RegExp
}

export interface RpcRule extends OutboundRequestConfig {
  deviceNameFilter: RegExp
  methodFilter: RegExp
  /** Seconds; when absent the RPC is one-way and no reply is published. */
  responseTimeout?: number
}

export interface ServerConfig {
  /** @default '127.0.0.1' */
  host: string
  /** @default 5000 */
  port: number
  /** @default false */
  ssl: boolean
  /** PEM file paths, resolved against the config file's folder (`~` expanded). */
  cert?: string
  key?: string
  /** CA for client certificates (mTLS); when set, clients must present a certificate. */
  clientCa?: string
  /** Maximum request body in bytes (after inflating a gzip/deflate body). @default 1048576 */
  bodyLimit: number
  /** Deepest nesting of objects and arrays in a JSON body (the body is level 1). @default 32 */
  maxJsonDepth?: number
  /** Most elements of a JSON array body (each element is converted on its own). @default 10000 */
  maxArrayElements?: number
  /** Most object keys in a JSON body, at every depth. @default 100000 */
  maxJsonKeys?: number
}

/**
 * Which URLs the RPC-driven fetches may reach: reserved `get`/`set` (`reservedRpc` in rest.json)
 * and the gateway's `rest_get`/`rest_set` (`restRpc` in tb_gateway.json).
 */
export interface FetchAccess {
  /** @default true */
  enabled: boolean
  /** Hosts (`api.example.com`, `host:port`) or URL prefixes (`https://h/v1/`); empty: any URL. @default [] */
  allow: string[]
  /** The config key, named in refusals (`reservedRpc (rest.json)`). */
  configKey: string
}

/** rest.json `downlink`: bounds of the ThingsBoard → HTTP path (see the dispatcher README). */
export interface DownlinkConfig {
  /** @default 8 */
  maxConcurrencyPerOrigin: number
  /** @default 256 */
  maxActiveMessages: number
  /** @default 10000 */
  maxQueuedMessages: number
  /** @default 16777216 */
  maxQueuedBytes: number
  /** @default 1024 */
  maxRequests: number
}

export interface RestConnectorConfig {
  name: string
  /** @default 'INFO' */
  logLevel: string
  server: ServerConfig
  mapping: MappingConfig[]
  attributeRequests: AttributeRequestConfig[]
  attributeUpdates: AttributeUpdateRule[]
  serverSideRpc: RpcRule[]
  /** Downlink bounds (always filled by the validator; optional for hand-built configs). */
  downlink?: DownlinkConfig
  /** Reserved `get`/`set` access (always filled by the validator; absent: enabled, any URL). */
  reservedRpc?: FetchAccess
  /** Folder of the config file; custom converters and relative paths resolve against it. */
  configDir: string
}

// ---------------------------------------------------------------- tb_gateway.json

export type TbSecurity =
  | { type: 'accessToken'; accessToken: string; caCert?: string }
  | { type: 'tlsAccessToken'; accessToken: string; caCert?: string }
  | { type: 'usernamePassword'; clientId?: string; username?: string; password?: string; caCert?: string }
  | { type: 'x509Certificate'; cert: string; privateKey: string; caCert?: string }

export interface ThingsboardConfig {
  host: string
  /** @default 1883 */
  port: number
  /** @default 1 */
  qos: 0 | 1
  /** Seconds. @default 120 */
  keepAlive: number
  security: TbSecurity
  /** TLS is used when a CA/cert is given, `tls: true`, or port 8883. */
  tls: boolean
  /** Skip hostname verification (the original's `insecure`). @default false */
  insecure: boolean
  /** @default 8196 */
  maxPayloadSizeBytes: number
  /** @default 50 */
  minPackSendDelayMS: number
  /** restgate's own: re-announce (`connect`) a device before its data once this many ms passed since it was last announced; 0 = once per connection. @default 0 */
  reannounceAfterMs: number
}

export type StorageType = 'memory' | 'file' | 'sqlite'

/**
 * The storage section. Keys the file does not set stay undefined: the package that uses an option
 * owns its default (the backends of @restgate/storage, tb-client's `readRecordsCount`); this
 * package only defaults what has no owner elsewhere (type, folders, TTL days).
 */
export interface StorageConfig {
  /** @default 'memory' */
  type: StorageType
  /** memory: capacity in records (default: @restgate/storage/memory's `maxRecords`). */
  maxRecordsCount?: number
  /** Records read per pack (default: tb-client's `readRecordsCount`). */
  readRecordsCount?: number
  /** file: folder (resolved). @default '<configDir>/data/' */
  dataFolderPath: string
  /** file (default: @restgate/storage/file's `maxFileCount`). */
  maxFileCount?: number
  /** file (default: @restgate/storage/file's `maxRecordsPerFile`). */
  maxRecordsPerFile?: number
  /** sqlite: folder or file (resolved). @default '<configDir>/data/' */
  dataFilePath: string
  /** sqlite: records older than this are dropped (the original's default). @default 7 */
  messagesTtlInDays: number
  /** sqlite (default: @restgate/storage/sqlite's `ttlCheckIntervalMs`). */
  messagesTtlCheckInHours?: number
  /** sqlite: MB per database file (default: @restgate/storage/sqlite's `sizeLimitMb`). */
  sizeLimit?: number
  /** sqlite (default: @restgate/storage/sqlite's `maxDbAmount`). */
  maxDbAmount?: number
  /** What to do when full: answer 503 (`reject`, the backends' default) or drop the oldest record. */
  fullPolicy?: 'reject' | 'dropOldest'
}

export interface ConnectorEntry {
  type: string
  name: string
  /** Absolute path of the connector's config file. */
  configuration: string
  path: ConfigPath
}

/** tb_gateway.json `thingsboard.statistics`: the gateway's counters as telemetry of the gateway device. */
export interface StatisticsConfig {
  /** @default true (when the section is given) */
  enable: boolean
  /** @default 60 */
  statsSendPeriodInSeconds: number
}

/** tb_gateway.json `admin` (restgate's own): the HTTP endpoint with /healthz, /readyz and /metrics. */
export interface AdminConfig {
  /** @default true (when the section is given) */
  enable: boolean
  /** @default '127.0.0.1' */
  host: string
  /** @default 9100 */
  port: number
  /** A non-loopback `host` is refused unless this is true. @default false */
  allowRemote: boolean
  /** /readyz stays ready this long after ThingsBoard disconnected. @default 30 */
  readyGraceSeconds: number
}

export interface GatewayConfig {
  thingsboard: ThingsboardConfig
  storage: StorageConfig
  connectors: ConnectorEntry[]
  /** Present when `thingsboard.statistics` is given. */
  statistics?: StatisticsConfig
  /** Present when the `admin` section is given. */
  admin?: AdminConfig
  /** The gateway device's `rest_get`/`rest_set` access (always filled by the validator; absent: enabled, any URL). */
  restRpc?: FetchAccess
  /** Folder of tb_gateway.json. */
  configDir: string
}

// ---------------------------------------------------------------- validation results

export interface ConfigIssue {
  /** JSON path, e.g. `mapping[1].HTTPMethods[0]`. */
  path: ConfigPath
  /** `mapping[1].HTTPMethods[0]: expected one of GET, POST, PUT, PATCH, DELETE; got "PSOT"`. */
  message: string
}

export type ValidationResult<T> =
  | { ok: true; config: T; issues: []; warnings: ConfigIssue[] }
  | { ok: false; config?: undefined; issues: ConfigIssue[]; warnings: ConfigIssue[] }
