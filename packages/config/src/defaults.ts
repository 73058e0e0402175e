/**
 * Every default of the normalised model in one place (the docs' tables; docs/spec/DECISIONS.md). The
 * validators fill these in wherever the config leaves a key out (never over a given value).
 */
import type { AdminConfig, DownlinkConfig, HttpMethod, ResponseConfig, ServerConfig, StatisticsConfig, StorageConfig, ThingsboardConfig } from './model.ts'

/** Server defaults (the docs' general-section table). */
export const serverDefaults: Readonly<
  Required<Pick<ServerConfig, 'host' | 'port' | 'ssl' | 'bodyLimit' | 'maxJsonDepth' | 'maxArrayElements' | 'maxJsonKeys'>>
> = Object.freeze({
  host: '127.0.0.1',
  port: 5000,
  ssl: false,
  bodyLimit: 1024 * 1024,
  maxJsonDepth: 32,
  maxArrayElements: 10_000,
  maxJsonKeys: 100_000,
})

/** Defaults of `mapping[].response` (docs' tables). */
export const responseDefaults: Readonly<Pick<ResponseConfig, 'responseExpected' | 'timeout'>> = Object.freeze({
  responseExpected: false,
  timeout: 120,
})

/** Defaults of `attributeRequests[]`. */
export const attributeRequestDefaults: {
  readonly type: 'shared'
  readonly methods: readonly HttpMethod[]
  readonly timeout: number
  readonly deviceNameExpression: string
  readonly attributeNameExpression: string
} = Object.freeze({
  type: 'shared',
  methods: Object.freeze<HttpMethod[]>(['POST']),
  timeout: 10,
  deviceNameExpression: '${deviceName}',
  attributeNameExpression: '${attribute}',
})

/** Defaults shared by attributeUpdates and serverSideRpc (docs' tables; docs/spec/DECISIONS.md). */
export const outboundDefaults: {
  readonly httpHeaders: Readonly<Record<string, string>>
  readonly timeout: number
  readonly tries: number
  readonly allowRedirects: boolean
  readonly sslVerify: boolean
  readonly filter: string
  readonly attributeUpdateMethod: HttpMethod
  readonly rpcMethod: HttpMethod
  readonly rpcValueExpression: string
} = Object.freeze({
  // the original sends the rendered text with no Content-Type when a rule names no headers
  httpHeaders: Object.freeze({}),
  timeout: 0.5,
  tries: 3,
  allowRedirects: true,
  sslVerify: false,
  filter: '.*',
  attributeUpdateMethod: 'POST',
  rpcMethod: 'GET',
  rpcValueExpression: '${params}',
})

/** Defaults of rest.json's `downlink` section (the dispatcher's bounds). */
export const downlinkDefaults: Readonly<DownlinkConfig> = Object.freeze({
  maxConcurrencyPerOrigin: 8,
  maxActiveMessages: 256,
  maxQueuedMessages: 10_000,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxRequests: 1024,
})

/** Defaults of the `thingsboard` section. */
export const thingsboardDefaults: Readonly<
  Pick<ThingsboardConfig, 'port' | 'qos' | 'keepAlive' | 'insecure' | 'maxPayloadSizeBytes' | 'minPackSendDelayMS' | 'reannounceAfterMs'>
> = Object.freeze({ port: 1883, qos: 1, keepAlive: 120, insecure: false, maxPayloadSizeBytes: 8196, minPackSendDelayMS: 50, reannounceAfterMs: 0 })

/** Defaults of `thingsboard.statistics` (the original's). */
export const statisticsDefaults: Readonly<StatisticsConfig> = Object.freeze({ enable: true, statsSendPeriodInSeconds: 60 })

/** Defaults of the `admin` section. */
export const adminDefaults: Readonly<AdminConfig> = Object.freeze({ enable: true, host: '127.0.0.1', port: 9100, allowRemote: false, readyGraceSeconds: 30 })

/**
 * Storage defaults this package owns (the original's shipped values; folders relative to the config
 * file). The other storage keys default in the package that uses them (see `StorageConfig`).
 */
export const storageDefaults: Readonly<Pick<StorageConfig, 'type' | 'dataFolderPath' | 'dataFilePath' | 'messagesTtlInDays'>> = Object.freeze({
  type: 'memory',
  dataFolderPath: './data/',
  dataFilePath: './data/',
  messagesTtlInDays: 7,
})

/** Environment variables that override `thingsboard.*`, and the key each one sets. */
export const GATEWAY_ENV_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  TB_GW_HOST: 'host',
  TB_GW_PORT: 'port',
  TB_GW_SECURITY_TYPE: 'security.type',
  TB_GW_ACCESS_TOKEN: 'security.accessToken',
  TB_GW_CA_CERT: 'security.caCert',
  TB_GW_PRIVATE_KEY: 'security.privateKey',
  TB_GW_CERT: 'security.cert',
  TB_GW_CLIENT_ID: 'security.clientId',
  TB_GW_USERNAME: 'security.username',
  TB_GW_PASSWORD: 'security.password',
})
