import { describe, expect, it } from 'vitest'
import { validateConfig } from '../src/validate-config.ts'
import { messages, valid } from './_helpers.ts'

const converter = { deviceNameExpression: '${n}', timeseries: [{ key: 't', value: '${t}' }] }

describe('unknown keys', () => {
  it('names the closest known key', () => {
    const result = validateConfig({
      mapping: [{ endpoint: '/a', convertr: converter, converter }],
      serverSideRpc: [{ requestUrlExpression: 'http://h.local/', methodFiltr: 'x' }],
    })
    valid(result)
    expect(result.warnings).toEqual([
      { path: 'mapping[0].convertr', message: 'mapping[0].convertr: unknown key; did you mean "converter"?' },
      { path: 'serverSideRpc[0].methodFiltr', message: 'serverSideRpc[0].methodFiltr: unknown key; did you mean "methodFilter"?' },
    ])
  })

  it('matches case-insensitively and says "ignored" when nothing is close', () => {
    const result = validateConfig({ mapping: [{ endpoint: '/a', converter, Security: { type: 'anonymous' }, colour: 'blue' }] })
    expect(messages(result.warnings)).toEqual(['mapping[0].Security: unknown key; did you mean "security"?', 'mapping[0].colour: unknown key; ignored'])
  })

  it('checks nested sections: datapoints, response, security, server, requestsMapping', () => {
    const result = validateConfig({
      server: { hots: 'localhost' },
      mapping: [
        {
          endpoint: '/a',
          response: { timout: 3 },
          security: { type: 'basic', users: [{ username: 'a', password: 'b', pasword: 'c' }] },
          converter: { deviceNameExpression: 'x', timeseries: [{ key: 't', value: '${t}', tyep: 'int' }] },
        },
      ],
      requestsMapping: { serverSideRPC: [] },
    })
    expect(messages(result.warnings)).toEqual([
      'requestsMapping.serverSideRPC: unknown key; did you mean "serverSideRpc"?',
      'server.hots: unknown key; did you mean "host"?',
      'mapping[0].security.users[0].pasword: unknown key; did you mean "password"?',
      'mapping[0].converter.timeseries[0].tyep: unknown key; did you mean "type"?',
      'mapping[0].response.timout: unknown key; did you mean "timeout"?',
    ])
  })

  it('quotes keys that are not identifiers', () => {
    const result = validateConfig({ mapping: [{ endpoint: '/a', converter, 'my key': 1 }] })
    expect(result.warnings).toEqual([{ path: 'mapping[0]["my key"]', message: 'mapping[0]["my key"]: unknown key; ignored' }])
  })

  it("leaves a custom converter's own keys alone", () => {
    const result = validateConfig({ mapping: [{ endpoint: '/a', converter: { type: 'custom', extension: './conv.mjs', byteOrder: 'big' } }] })
    const config = valid(result)
    expect(result.warnings).toEqual([])
    expect(config.mapping[0]?.converter.raw.byteOrder).toBe('big')
    expect(config.mapping[0]?.converter.deviceInfo).toEqual({ nameSource: 'constant', name: '', profileSource: 'constant', profile: 'default' })
  })
})

describe('keys of the original that restgate does not implement', () => {
  it('warns once per key, never an error', () => {
    const result = validateConfig({
      id: '0c9f0c55-9b5f-4cbe-8d2c-f1d0c1b1e4a3',
      reportStrategy: { type: 'ON_CHANGE' },
      enableRemoteLogging: false,
      debugMode: true,
      mapping: [{ endpoint: '/a', reportStrategy: {}, converter: { ...converter, timeseries: [{ key: 't', value: '${t}', reportStrategy: {} }] } }],
    })
    valid(result)
    expect(messages(result.warnings)).toEqual([
      'id: not implemented by restgate; ignored',
      'reportStrategy: not implemented by restgate; ignored',
      'enableRemoteLogging: not implemented by restgate; ignored',
      'debugMode: not implemented by restgate; ignored',
      'mapping[0].reportStrategy: not implemented by restgate; ignored',
      'mapping[0].converter.timeseries[0].reportStrategy: not implemented by restgate; ignored',
    ])
  })

  it('accepts $schema and the general SSLVerify silently, keeps name and logLevel', () => {
    const result = validateConfig({ $schema: './schema.json', SSLVerify: false, name: 'My REST', logLevel: 'debug', mapping: [{ endpoint: '/a', converter }] })
    const config = valid(result)
    expect(result.warnings).toEqual([])
    expect(config.name).toBe('My REST')
    expect(config.logLevel).toBe('DEBUG')
  })

  it('the name option wins over the file', () => {
    const config = valid(validateConfig({ name: 'File name', mapping: [{ endpoint: '/a', converter }] }, { name: 'From tb_gateway.json' }))
    expect(config.name).toBe('From tb_gateway.json')
  })
})

describe('both formats in one file', () => {
  it('merges request sections from requestsMapping and the top level, with a warning', () => {
    const rule = { requestUrlExpression: 'http://h.local/', valueExpression: '${attributeValue}' }
    const result = validateConfig({ requestsMapping: { attributeUpdates: [rule] }, attributeUpdates: [{ ...rule, deviceNameFilter: 'B.*' }] })
    const config = valid(result)
    expect(config.attributeUpdates.map((r) => [r.path, r.deviceNameFilter.source])).toEqual([
      ['requestsMapping.attributeUpdates[0]', '^(?:.*)$'],
      ['attributeUpdates[0]', '^(?:B.*)$'],
    ])
    expect(messages(result.warnings)).toEqual(['attributeUpdates: also given as "requestsMapping.attributeUpdates"; using both (requestsMapping first)'])
  })

  it('takes server keys from `server` first and the top level for the rest', () => {
    const result = validateConfig({ server: { port: 6000 }, host: '0.0.0.0', port: 7000, mapping: [{ endpoint: '/a', converter }] })
    const config = valid(result)
    expect(config.server.host).toBe('0.0.0.0')
    expect(config.server.port).toBe(6000)
    expect(messages(result.warnings)).toEqual(['port: also given as "server.port"; using "server.port"'])
  })

  it('prefers deviceInfo over old expressions in the same converter', () => {
    const result = validateConfig({
      mapping: [{ endpoint: '/a', converter: { deviceInfo: { deviceNameExpression: 'New' }, deviceNameExpression: 'Old', timeseries: [] } }],
    })
    expect(valid(result).mapping[0]?.converter.deviceInfo.name).toBe('New')
    expect(messages(result.warnings)).toEqual(['mapping[0].converter.deviceNameExpression: ignored: deviceInfo is given'])
  })

  it('uses the first of several method spellings and warns', () => {
    const result = validateConfig({ mapping: [{ endpoint: '/a', HTTPMethods: ['put'], HTTPMethod: 'GET', converter }] })
    expect(valid(result).mapping[0]?.methods).toEqual(['PUT'])
    expect(messages(result.warnings)).toEqual(['mapping[0].HTTPMethod: also given as "HTTPMethods"; using "HTTPMethods"'])
  })
})

describe('other warnings', () => {
  it('prefixes http:// to a URL that starts with a host', () => {
    const result = validateConfig({ serverSideRpc: [{ requestUrlExpression: '127.0.0.1:5001/${deviceName}' }] })
    const config = valid(result)
    expect(config.serverSideRpc[0]?.requestUrlExpression).toBe('http://127.0.0.1:5001/${deviceName}')
    expect(config.serverSideRpc[0]?.urlIsRelative).toBe(false)
    expect(messages(result.warnings)).toEqual(['serverSideRpc[0].requestUrlExpression: no scheme; using "http://127.0.0.1:5001/${deviceName}"'])
  })

  it('a URL that starts with a placeholder is left to the runtime', () => {
    const result = validateConfig({ serverSideRpc: [{ requestUrlExpression: '${params.url}' }] })
    expect(valid(result).serverSideRpc[0]?.urlIsRelative).toBe(false)
    expect(result.warnings).toEqual([])
  })

  it('credentials under anonymous security are ignored with a warning', () => {
    const result = validateConfig({ mapping: [{ endpoint: '/a', security: { type: 'anonymous', username: 'u', password: 'p' }, converter }] })
    expect(valid(result).mapping[0]?.security).toEqual({ type: 'anonymous' })
    expect(messages(result.warnings)).toEqual([
      'mapping[0].security.username: ignored: security type is anonymous',
      'mapping[0].security.password: ignored: security type is anonymous',
    ])
  })

  it('tsField on an attribute is ignored with a warning', () => {
    const result = validateConfig({
      mapping: [{ endpoint: '/a', converter: { deviceNameExpression: 'x', attributes: [{ key: 'a', value: '${a}', tsField: '${ts}' }] } }],
    })
    expect(valid(result).mapping[0]?.converter.attributes[0]?.tsField).toBeUndefined()
    expect(messages(result.warnings)).toEqual(['mapping[0].converter.attributes[0].tsField: ignored: attributes have no timestamp'])
  })

  it('a json converter without datapoints and an empty connector are warned about', () => {
    expect(messages(validateConfig({ mapping: [{ endpoint: '/a', converter: { deviceNameExpression: 'x' } }] }).warnings)).toEqual([
      'mapping[0].converter: no "attributes" or "timeseries": requests to this endpoint send no data',
    ])
    expect(messages(validateConfig({}).warnings)).toEqual([
      '(root): no "mapping", "attributeRequests", "attributeUpdates" or "serverSideRpc": this connector does nothing',
    ])
  })

  it('clientCa without SSL is ignored with a warning', () => {
    const result = validateConfig({ server: { security: { clientCa: 'ca.pem' } }, mapping: [{ endpoint: '/a', converter }] })
    expect(valid(result).server.clientCa).toBeUndefined()
    expect(messages(result.warnings)).toEqual(['server.security.clientCa: ignored: SSL is false (client certificates need HTTPS)'])
  })
})
