/** The zod schema of tb_gateway.json (the original's shape) and its key lists. */
import { z } from 'zod'
import { keySpecOf, type KeySpec } from '../_keys.ts'
import { fetchAccessSchema } from './downlink.ts'
import { bool, ciEnum, expect, integer, nonEmpty, notImplemented, port, type LooseSchema } from './_primitives.ts'

const THINGSBOARD_NOT_IMPLEMENTED: readonly string[] = [
  'remoteShell',
  'remoteConfiguration',
  'latencyDebugMode',
  'deviceFiltering',
  'minPackSizeToSend',
  'checkConnectorsConfigurationInSeconds',
  'handleDeviceRenaming',
  'reportStrategy',
  'checkingDeviceActivity',
  'rateLimits',
  'dpRateLimits',
  'messagesRateLimits',
  'deviceMessagesRateLimits',
  'deviceRateLimits',
  'deviceDpRateLimits',
  'proxy_host',
  'proxy_port',
  'provisioning',
  'syncDevicesSharedAttributesOnConnect',
  'managerEnabled',
]
const SECURITY_NOT_IMPLEMENTED: readonly string[] = ['checkCertPeriod', 'certificateDaysLeft']
const STORAGE_NOT_IMPLEMENTED: readonly string[] = ['max_records_between_fsync', 'writing_batch_size', 'oversize_check_period']
const CONNECTOR_NOT_IMPLEMENTED: readonly string[] = ['class', 'useGRPCForce', 'configurationJson', 'id', 'enableRemoteLogging']
const ROOT_NOT_IMPLEMENTED: readonly string[] = ['grpc']
const STATISTICS_NOT_IMPLEMENTED: readonly string[] = ['customStatsSendPeriodInSeconds', 'configuration']

/** Security types of the MQTT connection (any case). */
export const TB_SECURITY_TYPES: readonly string[] = ['accessToken', 'tlsAccessToken', 'usernamePassword', 'x509Certificate']

const ni = (keys: readonly string[]): z.ZodRawShape => Object.fromEntries(keys.map((key) => [key, notImplemented('Key of the original gateway.').optional()]))

const file = (what: string, description: string): z.ZodString => nonEmpty(`a ${what} file path`, description)

const tbSecuritySchema: LooseSchema = z
  .looseObject(
    {
      type: ciEnum(TB_SECURITY_TYPES, 'How the gateway authenticates to ThingsBoard (inferred from the keys when absent).').optional(),
      accessToken: nonEmpty('a non-empty access token', "accessToken / tlsAccessToken: the gateway device's token.").optional(),
      clientId: nonEmpty('a non-empty client id', 'usernamePassword: MQTT client id.').optional(),
      username: nonEmpty('a non-empty username', 'usernamePassword: MQTT user name.').optional(),
      password: z.string(expect('a password string')).describe('usernamePassword: MQTT password.').optional(),
      caCert: file('CA certificate', 'CA bundle that verifies ThingsBoard (enables TLS).').optional(),
      cert: file('certificate', 'x509Certificate: client certificate (PEM).').optional(),
      privateKey: file('private key', 'x509Certificate: client private key (PEM).').optional(),
      tls: bool('Use TLS.').optional(),
      insecure: bool("Skip the host name check of ThingsBoard's certificate.").optional(),
      ...ni(SECURITY_NOT_IMPLEMENTED),
    },
    expect('an object'),
  )
  .describe('MQTT credentials.')
  .meta({ id: 'ThingsboardSecurity' })

const statisticsSchema: LooseSchema = z
  .looseObject(
    {
      enable: bool("Send the gateway's statistics as telemetry of the gateway device. Default true when this section is given.").optional(),
      statsSendPeriodInSeconds: integer(1, 'Seconds between two statistics messages. Default 60.').optional(),
      ...ni(STATISTICS_NOT_IMPLEMENTED),
    },
    expect('an object'),
  )
  .describe('Gateway statistics (messages received, sent, dropped, queue depth) sent to ThingsBoard. Off when absent.')
  .meta({ id: 'Statistics' })

const adminSchema: LooseSchema = z
  .looseObject(
    {
      enable: bool('Serve the admin endpoint. Default true when this section is given.').optional(),
      host: nonEmpty('a host name or IP address', 'Address of the admin endpoint. Default 127.0.0.1.').optional(),
      port: port('Port of the admin endpoint. Default 9100.').optional(),
      allowRemote: bool('Allow a host other than a loopback address (the endpoint has no authentication). Default false.').optional(),
      readyGraceSeconds: integer(0, '/readyz stays ready this long after ThingsBoard disconnected. Default 30.').optional(),
    },
    expect('an object'),
  )
  .describe("restgate's admin HTTP endpoint: /healthz, /readyz, /metrics, PUT /loglevel. Off when absent.")
  .meta({ id: 'Admin' })

const thingsboardSchema: LooseSchema = z
  .looseObject(
    {
      host: nonEmpty('a host name or IP address', 'ThingsBoard MQTT host.'),
      port: port('ThingsBoard MQTT port. Default 1883.').optional(),
      qos: z
        .union([z.literal(0), z.literal(1)], expect('0 or 1'))
        .describe('MQTT QoS of published data. Default 1.')
        .optional(),
      keep_alive: integer(1, 'MQTT keep-alive in seconds. Default 120.').optional(),
      security: tbSecuritySchema.optional(),
      tls: bool('Use TLS (also implied by a CA/certificate or port 8883).').optional(),
      insecure: bool("Skip the host name check of ThingsBoard's certificate. Default false.").optional(),
      maxPayloadSizeBytes: integer(1, 'Largest MQTT payload in bytes. Default 8196.').optional(),
      minPackSendDelayMS: integer(0, 'Pause between packs when idle, in ms. Default 50.').optional(),
      statistics: statisticsSchema.optional(),
      reannounceAfterMs: integer(
        0,
        'restgate: connect a device again before its data once this many ms passed since it was last connected (several instances behind a load balancer); 0 = once per connection. Default 0.',
      ).optional(),
      ...ni(THINGSBOARD_NOT_IMPLEMENTED),
    },
    expect('an object with host'),
  )
  .describe('Connection to ThingsBoard.')
  .meta({ id: 'Thingsboard' })

const storageSchema: LooseSchema = z
  .looseObject(
    {
      type: ciEnum(['memory', 'file', 'sqlite'], 'Where data waits until ThingsBoard acknowledged it. Default memory.').optional(),
      max_records_count: integer(1, 'memory: capacity in records. Default 100000.').optional(),
      read_records_count: integer(1, 'Records sent per pack. Default 100.').optional(),
      max_read_records_count: integer(1, 'file/sqlite: records sent per pack (same as read_records_count).').optional(),
      data_folder_path: nonEmpty('a folder path', 'file: folder of the data files. Default ./data/.').optional(),
      max_file_count: integer(1, 'file: most data files. Default 10.').optional(),
      max_records_per_file: integer(1, 'file: records per data file. Default 10000.').optional(),
      data_file_path: nonEmpty('a folder or file path', 'sqlite: folder (ending in /) or database file. Default ./data/.').optional(),
      messages_ttl_in_days: integer(1, 'sqlite: days a record may wait. Default 7.').optional(),
      messages_ttl_check_in_hours: integer(1, 'sqlite: hours between expiry checks. Default 1.').optional(),
      size_limit: integer(1, 'sqlite: MB per database file. Default 1024.').optional(),
      max_db_amount: integer(1, 'sqlite: most database files. Default 10.').optional(),
      full_policy: ciEnum(['reject', 'drop_oldest', 'dropOldest'], 'When full: reject new data (HTTP 503, default) or drop the oldest record.').optional(),
      ...ni(STORAGE_NOT_IMPLEMENTED),
    },
    expect('an object'),
  )
  .describe('Storage of data on its way to ThingsBoard.')
  .meta({ id: 'Storage' })

const connectorSchema: LooseSchema = z
  .looseObject(
    {
      type: nonEmpty('a connector type', 'Connector type; restgate runs `rest` connectors only.'),
      name: nonEmpty('a non-empty connector name', 'Connector name (shown in ThingsBoard). Default `REST Connector`.').optional(),
      configuration: nonEmpty('a config file path', "The connector's config file, relative to this file."),
      ...ni(CONNECTOR_NOT_IMPLEMENTED),
    },
    expect('an object with type and configuration'),
  )
  .meta({ id: 'Connector' })

const gatewayRootSchema: LooseSchema = z
  .looseObject(
    {
      $schema: z.string(expect('a string')).describe('JSON schema of this file (for editors).').optional(),
      thingsboard: thingsboardSchema,
      storage: storageSchema.optional(),
      connectors: z.array(connectorSchema, expect('a list of connectors')).describe('Connectors to run.').optional(),
      admin: adminSchema.optional(),
      restRpc: fetchAccessSchema
        .describe("The gateway device's `rest_get`/`rest_set` RPCs (fetch any URL by default, as the original): switch off or limit to hosts / URL prefixes.")
        .optional(),
      ...ni(ROOT_NOT_IMPLEMENTED),
    },
    expect('an object'),
  )
  .meta({ title: 'restgate gateway configuration (tb_gateway.json)' })

/** zod schema of tb_gateway.json. */
export const gatewayConfigSchema: z.ZodType = gatewayRootSchema

export type GatewaySection = 'root' | 'thingsboard' | 'security' | 'storage' | 'connector' | 'statistics' | 'admin' | 'fetchAccess'

/** Key lists per tb_gateway.json section. */
export const gatewayKeys: Readonly<Record<GatewaySection, KeySpec>> = {
  root: keySpecOf(gatewayRootSchema, ROOT_NOT_IMPLEMENTED, ['$schema']),
  thingsboard: keySpecOf(thingsboardSchema, THINGSBOARD_NOT_IMPLEMENTED),
  security: keySpecOf(tbSecuritySchema, SECURITY_NOT_IMPLEMENTED),
  storage: keySpecOf(storageSchema, STORAGE_NOT_IMPLEMENTED),
  connector: keySpecOf(connectorSchema, CONNECTOR_NOT_IMPLEMENTED),
  statistics: keySpecOf(statisticsSchema, STATISTICS_NOT_IMPLEMENTED),
  admin: keySpecOf(adminSchema),
  fetchAccess: keySpecOf(fetchAccessSchema),
}
