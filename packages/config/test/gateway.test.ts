import { describe, expect, it } from 'vitest'
import { validateGatewayConfig } from '../src/validate-gateway-config.ts'
import { fixture, messages, valid } from './_helpers.ts'

const dir = '/etc/gw'
const tb = { host: 'tb.local', security: { accessToken: 'T0KEN' } }

describe('original-tb_gateway.json (verbatim)', () => {
  const result = validateGatewayConfig(fixture('original-tb_gateway.json'), { configDir: dir, env: {} })
  const config = valid(result)

  it('normalises thingsboard', () => {
    expect(config.thingsboard).toEqual({
      host: 'thingsboard.cloud',
      port: 1883,
      qos: 1,
      keepAlive: 120,
      security: { type: 'accessToken', accessToken: 'YOUR_ACCESS_TOKEN' },
      tls: false,
      insecure: false,
      maxPayloadSizeBytes: 8196,
      minPackSendDelayMS: 50,
      reannounceAfterMs: 0,
    })
  })

  it('normalises storage with folders resolved against the config folder', () => {
    // the keys the original's file sets; size_limit, max_db_amount and full_policy it leaves out stay
    // absent (their defaults are the backends', in @restgate/storage)
    expect(config.storage).toEqual({
      type: 'memory',
      maxRecordsCount: 100000,
      readRecordsCount: 100,
      dataFolderPath: '/etc/gw/data/',
      maxFileCount: 10,
      maxRecordsPerFile: 10000,
      dataFilePath: '/etc/gw/data/',
      messagesTtlInDays: 7,
      messagesTtlCheckInHours: 1,
    })
    expect(config.connectors).toEqual([])
    expect(config.configDir).toBe(dir)
  })

  it('warns once per key restgate does not implement, never an error', () => {
    const notImplemented = [
      'grpc',
      ...[
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
      ].map((key) => `thingsboard.${key}`),
      'thingsboard.statistics.customStatsSendPeriodInSeconds',
    ]
    expect(messages(result.warnings)).toEqual([
      ...notImplemented.map((path) => `${path}: not implemented by restgate; ignored`),
      'connectors: no "rest" connector: the gateway serves no endpoint',
    ])
  })
})

const security = (value: unknown, extra: Record<string, unknown> = {}): unknown =>
  valid(validateGatewayConfig({ thingsboard: { host: 'h', ...extra, security: value }, connectors: [] }, { configDir: dir, env: {} })).thingsboard

describe('thingsboard security', () => {
  it('tlsAccessToken and caCert imply TLS; paths resolve against the config folder', () => {
    expect(security({ type: 'tlsAccessToken', accessToken: 't', caCert: 'ca.pem' })).toMatchObject({
      security: { type: 'tlsAccessToken', accessToken: 't', caCert: '/etc/gw/ca.pem' },
      tls: true,
    })
    expect(security({ type: 'accessToken', accessToken: 't', caCert: '/pki/ca.pem' })).toMatchObject({ tls: true })
  })

  it('usernamePassword with clientId/username/password, type in any case', () => {
    expect(security({ type: 'USERNAMEPASSWORD', clientId: 'c', username: 'u', password: 'p' })).toMatchObject({
      security: { type: 'usernamePassword', clientId: 'c', username: 'u', password: 'p' },
      tls: false,
    })
  })

  it('x509Certificate needs cert and privateKey and uses TLS', () => {
    expect(security({ type: 'x509Certificate', cert: 'c.pem', privateKey: 'k.pem', caCert: 'ca.pem' })).toMatchObject({
      security: { type: 'x509Certificate', cert: '/etc/gw/c.pem', privateKey: '/etc/gw/k.pem', caCert: '/etc/gw/ca.pem' },
      tls: true,
    })
  })

  it('infers the type from the keys, reads tls/insecure and port 8883', () => {
    expect(security({ username: 'u' })).toMatchObject({ security: { type: 'usernamePassword', username: 'u' } })
    expect(security({ accessToken: 't', caCert: 'ca.pem' })).toMatchObject({ security: { type: 'tlsAccessToken' } })
    expect(security({ accessToken: 't' }, { port: '8883' })).toMatchObject({ port: 8883, tls: true })
    expect(security({ accessToken: 't', insecure: true, tls: true })).toMatchObject({ tls: true, insecure: true })
    expect(security({ accessToken: 't' }, { qos: 0, keep_alive: 30, maxPayloadSizeBytes: 4096, minPackSendDelayMS: 10 })).toMatchObject({
      qos: 0,
      keepAlive: 30,
      maxPayloadSizeBytes: 4096,
      minPackSendDelayMS: 10,
    })
  })
})

describe('TB_GW_* environment overrides', () => {
  const json = { thingsboard: { host: 'file-host', port: 1883, security: { type: 'x509Certificate', cert: 'c.pem', privateKey: 'k.pem' } }, connectors: [] }

  it('override host and port', () => {
    const config = valid(validateGatewayConfig(json, { configDir: dir, env: { TB_GW_HOST: 'env-host', TB_GW_PORT: '8883' } }))
    expect(config.thingsboard).toMatchObject({ host: 'env-host', port: 8883, tls: true })
  })

  it('replace the security section when any security variable is set', () => {
    const config = valid(validateGatewayConfig(json, { configDir: dir, env: { TB_GW_SECURITY_TYPE: 'accessToken', TB_GW_ACCESS_TOKEN: 'ENVTOKEN' } }))
    expect(config.thingsboard.security).toEqual({ type: 'accessToken', accessToken: 'ENVTOKEN' })
    expect(json.thingsboard.security.type).toBe('x509Certificate')
  })

  it('build usernamePassword and x509 credentials from variables', () => {
    const up = valid(validateGatewayConfig(json, { configDir: dir, env: { TB_GW_CLIENT_ID: 'cid', TB_GW_USERNAME: 'user', TB_GW_PASSWORD: 'pw' } }))
    expect(up.thingsboard.security).toEqual({ type: 'usernamePassword', clientId: 'cid', username: 'user', password: 'pw' })
    const x509 = valid(validateGatewayConfig(json, { configDir: dir, env: { TB_GW_CERT: 'e/c.pem', TB_GW_PRIVATE_KEY: 'e/k.pem', TB_GW_CA_CERT: '/ca.pem' } }))
    expect(x509.thingsboard.security).toEqual({ type: 'x509Certificate', cert: '/etc/gw/e/c.pem', privateKey: '/etc/gw/e/k.pem', caCert: '/ca.pem' })
  })

  it('supply a host missing from the file; empty variables are ignored', () => {
    const config = valid(validateGatewayConfig({ thingsboard: { security: { accessToken: 't' } } }, { env: { TB_GW_HOST: 'from-env', TB_GW_PORT: '' } }))
    expect(config.thingsboard).toMatchObject({ host: 'from-env', port: 1883 })
  })

  it('do not hide a thingsboard section of the wrong type', () => {
    const result = validateGatewayConfig({ thingsboard: 'tb.local' }, { env: { TB_GW_HOST: 'h' } })
    expect(result.issues).toEqual([{ path: 'thingsboard', message: 'thingsboard: expected an object with host; got "tb.local"' }])
  })

  it('report bad values at the variable', () => {
    const result = validateGatewayConfig(json, { env: { TB_GW_PORT: 'eighty', TB_GW_SECURITY_TYPE: 'kerberos' } })
    expect(result.issues).toEqual([
      { path: 'env.TB_GW_PORT', message: 'env.TB_GW_PORT: expected a port number 0-65535; got "eighty"' },
      {
        path: 'env.TB_GW_SECURITY_TYPE',
        message: 'env.TB_GW_SECURITY_TYPE: expected one of accessToken, tlsAccessToken, usernamePassword, x509Certificate; got "kerberos"',
      },
    ])
  })

  it('name the variable when a credential it implies is missing', () => {
    const result = validateGatewayConfig(json, { env: { TB_GW_SECURITY_TYPE: 'accessToken' } })
    expect(result.issues).toEqual([
      { path: 'env.TB_GW_ACCESS_TOKEN', message: 'env.TB_GW_ACCESS_TOKEN: expected a non-empty access token (security type is accessToken); got nothing' },
    ])
  })

  it('default to process.env', () => {
    const previous = process.env.TB_GW_HOST
    process.env.TB_GW_HOST = 'process-env-host'
    try {
      expect(valid(validateGatewayConfig({ thingsboard: tb })).thingsboard.host).toBe('process-env-host')
    } finally {
      if (previous === undefined) delete process.env.TB_GW_HOST
      else process.env.TB_GW_HOST = previous
    }
  })
})

describe('storage and connectors', () => {
  it('reads file and sqlite keys (max_read_records_count for them) and full_policy', () => {
    const file = valid(
      validateGatewayConfig(
        {
          thingsboard: tb,
          storage: {
            type: 'file',
            data_folder_path: 'store/',
            max_file_count: 3,
            max_records_per_file: 50,
            read_records_count: 100,
            max_read_records_count: 10,
            full_policy: 'drop_oldest',
          },
        },
        { configDir: dir, env: {} },
      ),
    ).storage
    expect(file).toMatchObject({
      type: 'file',
      dataFolderPath: '/etc/gw/store/',
      maxFileCount: 3,
      maxRecordsPerFile: 50,
      readRecordsCount: 10,
      fullPolicy: 'dropOldest',
    })
    const sqlite = valid(
      validateGatewayConfig(
        {
          thingsboard: tb,
          storage: {
            type: 'SQLite',
            data_file_path: '/var/lib/gw/',
            size_limit: 16,
            max_db_amount: 2,
            messages_ttl_in_days: 1,
            messages_ttl_check_in_hours: 2,
          },
        },
        { configDir: dir, env: {} },
      ),
    ).storage
    expect(sqlite).toMatchObject({
      type: 'sqlite',
      dataFilePath: '/var/lib/gw/',
      sizeLimit: 16,
      maxDbAmount: 2,
      messagesTtlInDays: 1,
      messagesTtlCheckInHours: 2,
    })
    expect(sqlite.fullPolicy).toBeUndefined() // not set: the backend's default (reject) applies
  })

  it('defaults storage to memory when absent', () => {
    const config = valid(validateGatewayConfig({ thingsboard: tb, connectors: [{ type: 'rest', configuration: 'rest.json' }] }, { configDir: dir, env: {} }))
    // only what @restgate/config owns is filled in; the rest defaults where it is used
    expect(config.storage).toEqual({ type: 'memory', dataFolderPath: '/etc/gw/data/', dataFilePath: '/etc/gw/data/', messagesTtlInDays: 7 })
  })

  it('keeps rest connectors with resolved configuration paths, skips others with a warning', () => {
    const result = validateGatewayConfig(
      {
        thingsboard: tb,
        connectors: [
          { type: 'mqtt', name: 'MQTT Broker Connector', configuration: 'mqtt.json' },
          { type: 'rest', name: 'REST Connector', configuration: 'rest.json', class: 'x' },
          { type: 'REST', name: 'Second', configuration: '/abs/second.json' },
        ],
      },
      { configDir: dir, env: {} },
    )
    expect(valid(result).connectors).toEqual([
      { type: 'rest', name: 'REST Connector', configuration: '/etc/gw/rest.json', path: 'connectors[1]' },
      { type: 'rest', name: 'Second', configuration: '/abs/second.json', path: 'connectors[2]' },
    ])
    expect(messages(result.warnings)).toEqual([
      'connectors[0].type: connector type "mqtt" is not supported by restgate (only "rest"); skipped',
      'connectors[1].class: not implemented by restgate; ignored',
    ])
  })
})

describe('broken tb_gateway.json', () => {
  const cases: Array<[string, unknown, Array<[string, string]>]> = [
    ['missing thingsboard', { connectors: [] }, [['thingsboard', 'thingsboard: expected an object with host; got nothing']]],
    [
      'missing host',
      { thingsboard: { security: { accessToken: 't' } } },
      [['thingsboard.host', 'thingsboard.host: expected a host name or IP address; got nothing']],
    ],
    ['qos 2', { thingsboard: { ...tb, qos: 2 } }, [['thingsboard.qos', 'thingsboard.qos: expected 0 or 1; got 2']]],
    [
      'no credentials',
      { thingsboard: { host: 'h' } },
      [['thingsboard.security', 'thingsboard.security: expected MQTT credentials: accessToken, username/password or an x509 certificate; got nothing']],
    ],
    [
      'access token type without the token',
      { thingsboard: { host: 'h', security: { type: 'accessToken' } } },
      [['thingsboard.security.accessToken', 'thingsboard.security.accessToken: expected a non-empty access token (security type is accessToken); got nothing']],
    ],
    [
      'x509 without private key',
      { thingsboard: { host: 'h', security: { type: 'x509Certificate', cert: 'c.pem' } } },
      [
        [
          'thingsboard.security.privateKey',
          'thingsboard.security.privateKey: expected a private key file path (security type is x509Certificate); got nothing',
        ],
      ],
    ],
    [
      'an access token of the wrong type is not shown',
      { thingsboard: { host: 'h', security: { accessToken: 12345 } } },
      [['thingsboard.security.accessToken', 'thingsboard.security.accessToken: expected a non-empty access token; got a number']],
    ],
    [
      'unknown storage type',
      { thingsboard: tb, storage: { type: 'redis' } },
      [['storage.type', 'storage.type: expected one of memory, file, sqlite; got "redis"']],
    ],
    [
      'bad full_policy',
      { thingsboard: tb, storage: { full_policy: 'block' } },
      [['storage.full_policy', 'storage.full_policy: expected one of reject, drop_oldest, dropOldest; got "block"']],
    ],
    [
      'negative capacity',
      { thingsboard: tb, storage: { max_records_count: -5 } },
      [['storage.max_records_count', 'storage.max_records_count: expected an integer ≥ 1; got -5']],
    ],
    [
      'connector without configuration',
      { thingsboard: tb, connectors: [{ type: 'rest', name: 'R' }] },
      [['connectors[0].configuration', 'connectors[0].configuration: expected a config file path; got nothing']],
    ],
    [
      'two connectors with one name',
      {
        thingsboard: tb,
        connectors: [
          { type: 'rest', configuration: 'a.json' },
          { type: 'rest', configuration: 'b.json' },
        ],
      },
      [
        [
          'connectors[1].name',
          'connectors[1].name: expected a connector name not used by another connector; got "REST Connector", already used by connectors[0]',
        ],
      ],
    ],
  ]

  it.each(cases)('%s', (_name, json, expected) => {
    const result = validateGatewayConfig(json, { configDir: dir, env: {} })
    expect(result.ok).toBe(false)
    expect(result.issues.map((issue) => [issue.path, issue.message])).toEqual(expected)
  })

  it('suggests known keys for misspelt ones', () => {
    const result = validateGatewayConfig({ thingsboard: { ...tb, keepalive: 60 }, storge: {} }, { env: {} })
    expect(messages(result.warnings)).toEqual([
      'storge: unknown key; did you mean "storage"?',
      'thingsboard.keepalive: unknown key; did you mean "keep_alive"?',
      'connectors: no "rest" connector: the gateway serves no endpoint',
    ])
  })
})
