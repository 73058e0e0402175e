import { describe, expect, it } from 'vitest'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { validateConfig } from '../src/validate-config.ts'
import { fixture, messages, valid } from './_helpers.ts'

const dir = '/etc/restgate'

describe('docs example (old format, verbatim)', () => {
  const result = validateConfig(fixture('docs-rest.json'), { configDir: dir })
  const config = valid(result)

  it('normalises the server from top-level host/port/SSL', () => {
    expect(config.server).toEqual({ host: '127.0.0.1', port: 5000, ssl: false, bodyLimit: 1048576 })
    expect(config.name).toBe('REST Connector')
    expect(config.logLevel).toBe('INFO')
    expect(config.configDir).toBe(dir)
  })

  it('reads HTTPMethod (singular list) and basic security', () => {
    const [devices, anon] = config.mapping
    expect(devices?.endpoint).toBe('/my_devices')
    expect(devices?.methods).toEqual(['POST'])
    expect(devices?.security).toEqual({ type: 'basic', users: [{ username: 'user', password: 'password' }] })
    expect(anon?.methods).toEqual(['GET', 'POST'])
    expect(anon?.security).toEqual({ type: 'anonymous' })
    expect(devices?.response).toEqual({ responseExpected: false, timeout: 120 })
  })

  it('builds deviceInfo from the old expressions', () => {
    const [devices, anon] = config.mapping
    expect(devices?.converter.type).toBe('json')
    expect(devices?.converter.deviceInfo).toEqual({ nameSource: 'request', name: '${sensorName}', profileSource: 'request', profile: '${sensorType}' })
    expect(anon?.converter.type).toBe('custom')
    expect(anon?.converter.extension).toBe('CustomConverter')
    expect(anon?.converter.deviceInfo).toEqual({ nameSource: 'constant', name: 'Device 2', profileSource: 'constant', profile: 'default' })
  })

  it('keeps datapoints with normalised types and paths', () => {
    const converter = config.mapping[0]?.converter
    expect(converter?.attributes[1]).toEqual({
      key: '${sensorModel}',
      value: 'on',
      type: 'string',
      dayfirst: false,
      yearfirst: false,
      path: 'mapping[0].converter.attributes[1]',
    })
    expect(converter?.timeseries.map((d) => [d.key, d.value, d.type])).toEqual([
      ['temperature', '${temp}', 'double'],
      ['humidity', '${hum}', 'double'],
    ])
    expect(converter?.raw.deviceTypeExpression).toBe('${sensorType}')
  })

  it('takes top-level attributeUpdates with lower-cased headers', () => {
    const [rule] = config.attributeUpdates
    expect(rule?.httpMethod).toBe('POST')
    expect(rule?.httpHeaders).toEqual({ 'content-type': 'application/json' })
    expect(rule?.timeout).toBe(0.5)
    expect(rule?.tries).toBe(3)
    expect(rule?.allowRedirects).toBe(true)
    expect(rule?.sslVerify).toBe(false)
    expect(rule?.security).toEqual({ type: 'anonymous' })
    expect(rule?.deviceNameFilter.test('SN-001')).toBe(true)
    expect(rule?.deviceNameFilter.test('XSN-001')).toBe(false)
    expect(rule?.attributeFilter.source).toBe('^(?:.*)$')
    expect(rule?.urlIsRelative).toBe(false)
    expect(rule?.path).toBe('attributeUpdates[0]')
  })

  it('takes top-level serverSideRpc; the relative no-reply URL is a warning', () => {
    const [echo, noReply] = config.serverSideRpc
    expect(echo?.httpMethod).toBe('GET')
    expect(echo?.responseTimeout).toBe(1)
    expect(echo?.valueExpression).toBe('${params}')
    expect(echo?.methodFilter.test('echo')).toBe(true)
    expect(echo?.methodFilter.test('echo2')).toBe(false)
    expect(noReply?.httpMethod).toBe('POST')
    expect(noReply?.responseTimeout).toBeUndefined()
    expect(noReply?.timeout).toBe(0.5)
    expect(noReply?.tries).toBe(3)
    expect(noReply?.urlIsRelative).toBe(true)
    expect(noReply?.requestUrlExpression).toBe('/sensor/${deviceName}/request/${methodName}/${requestId}')
    expect(messages(result.warnings)).toEqual([
      'serverSideRpc[1].requestUrlExpression: no scheme and host (a relative URL): requests to it fail until a full URL like "http://host:port/..." is given',
    ])
  })
})

describe('original-rest.json (new format, verbatim)', () => {
  const result = validateConfig(fixture('original-rest.json'), { configDir: dir })
  const config = valid(result)

  it('reads server with ~ expanded TLS paths (SSL false)', () => {
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 5000,
      ssl: false,
      cert: join(homedir(), 'ssl/cert.pem'),
      key: join(homedir(), 'ssl/key.pem'),
      bodyLimit: 1048576,
    })
  })

  it('reads deviceInfo sources and the custom converter with extensionConfig', () => {
    expect(config.mapping.map((m) => m.endpoint)).toEqual(['/my_devices', '/anon1', '/anon2'])
    expect(config.mapping[1]?.converter.deviceInfo).toEqual({ nameSource: 'constant', name: 'Device 2', profileSource: 'constant', profile: 'default' })
    const custom = config.mapping[2]?.converter
    expect(custom?.type).toBe('custom')
    expect(custom?.extension).toBe('CustomRestUplinkConverter')
    expect(custom?.extensionConfig).toEqual({ key: 'Totaliser', datatype: 'float', fromByte: 0, toByte: 4, byteorder: 'big', signed: true, multiplier: 1 })
    expect(custom?.attributes).toEqual([])
    expect(custom?.deviceInfo.name).toBe('SuperAnonDevice')
  })

  it('reads requestsMapping', () => {
    expect(config.attributeRequests).toEqual([
      {
        endpoint: '/sharedAttributes',
        methods: ['POST'],
        security: { type: 'anonymous' },
        path: 'requestsMapping.attributeRequests[0]',
        type: 'shared',
        timeout: 10,
        deviceNameExpression: '${deviceName}',
        attributeNameExpression: '${attribute}${attribute1}',
      },
    ])
    const [, certRule] = config.attributeUpdates
    expect(certRule?.security).toEqual({ type: 'cert', cert: '/thingsboard_gateway/config/cert.pem', key: '/thingsboard_gateway/config/key.pem' })
    expect(certRule?.path).toBe('requestsMapping.attributeUpdates[1]')
    expect(config.serverSideRpc.map((r) => [r.methodFilter.source, r.timeout, r.responseTimeout, r.urlIsRelative])).toEqual([
      ['^(?:echo)$', 10, 1, false],
      ['^(?:post_attributes)$', 10, 1, false],
      ['^(?:no-reply)$', 0.5, undefined, true],
    ])
  })

  it('warns only about the relative no-reply URL', () => {
    expect(messages(result.warnings)).toEqual([
      'requestsMapping.serverSideRpc[2].requestUrlExpression: no scheme and host (a relative URL): requests to it fail until a full URL like "http://host:port/..." is given',
    ])
  })
})

describe('new-format example of docs/spec/original-behaviour.md §1', () => {
  const json = {
    server: { host: '127.0.0.1', port: '5000', SSL: false, security: { cert: 'certs/server.pem', key: 'certs/server.key' } },
    mapping: [
      {
        endpoint: '/my_devices',
        HTTPMethods: ['POST'],
        response: { responseExpected: false, timeout: 120, successResponse: 'OK' },
        security: { type: 'anonymous' },
        converter: {
          type: 'json',
          deviceInfo: {
            deviceNameExpressionSource: 'request',
            deviceNameExpression: '${sensorName}',
            deviceProfileExpressionSource: 'request',
            deviceProfileExpression: '${sensorType}',
          },
          attributes: [{ type: 'string', key: 'model', value: '${sensorModel}' }],
          timeseries: [{ type: 'double', key: 'temperature', value: '${temp}' }],
        },
      },
    ],
    requestsMapping: { attributeRequests: [], attributeUpdates: [], serverSideRpc: [] },
  }

  it('loads with relative certificate paths resolved against the config folder', () => {
    const config = valid(validateConfig(json, { configDir: dir }))
    expect(config.server.cert).toBe('/etc/restgate/certs/server.pem')
    expect(config.server.key).toBe('/etc/restgate/certs/server.key')
    expect(config.mapping[0]?.response.successResponse).toBe('OK')
    expect(config.mapping[0]?.converter.attributes[0]?.path).toBe('mapping[0].converter.attributes[0]')
  })

  it('a new-format config without requestsMapping keeps its server (original bug [14])', () => {
    const { requestsMapping: _, ...withoutRequests } = json
    const config = valid(validateConfig(withoutRequests, { configDir: dir }))
    expect(config.server.host).toBe('127.0.0.1')
    expect(config.mapping[0]?.converter.deviceInfo.name).toBe('${sensorName}')
  })
})

describe('case 25: old format converted per section', () => {
  const json = {
    host: '127.0.0.1',
    port: 5000,
    SSL: false,
    mapping: [
      {
        endpoint: '/t',
        HTTPMethods: ['POST'],
        security: { type: 'anonymous' },
        converter: {
          type: 'json',
          deviceNameExpression: 'Device ${name}',
          deviceTypeExpression: 'default',
          timeseries: [{ type: 'int', key: 't', value: '${t}' }],
        },
      },
    ],
    attributeUpdates: [
      { deviceNameFilter: 'SN.*', attributeFilter: '.*', requestUrlExpression: 'http://127.0.0.1:5001/', valueExpression: '${attributeValue}' },
    ],
    serverSideRpc: [],
  }

  it('normalises like the adapter does', () => {
    const config = valid(validateConfig(json, { configDir: dir }))
    expect(config.server).toEqual({ host: '127.0.0.1', port: 5000, ssl: false, bodyLimit: 1048576 })
    expect(config.mapping[0]?.converter.deviceInfo).toEqual({ nameSource: 'request', name: 'Device ${name}', profileSource: 'constant', profile: 'default' })
    expect(config.mapping[0]?.converter.timeseries[0]?.type).toBe('int')
    expect(config.attributeUpdates).toHaveLength(1)
    expect(config.attributeUpdates[0]?.httpMethod).toBe('POST')
    expect(config.attributeUpdates[0]?.httpHeaders).toEqual({}) // no headers: no Content-Type, as the original
    expect(config.serverSideRpc).toEqual([])
  })
})
