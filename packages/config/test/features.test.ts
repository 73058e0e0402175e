import { describe, expect, it } from 'vitest'
import { validateConfig } from '../src/validate-config.ts'
import { messages, valid } from './_helpers.ts'

const converter = { deviceNameExpression: '${n}', timeseries: [{ key: 't', value: '${t}' }] }

describe('inbound security', () => {
  it('accepts several basic users, type in any case', () => {
    const config = valid(
      validateConfig({
        mapping: [{ endpoint: '/a', security: { type: 'BASIC', username: 'a', password: '1', users: [{ username: 'b', password: '2' }] }, converter }],
      }),
    )
    expect(config.mapping[0]?.security).toEqual({
      type: 'basic',
      users: [
        { username: 'a', password: '1' },
        { username: 'b', password: '2' },
      ],
    })
  })

  it('accepts bearer tokens and infers the type from the keys', () => {
    const config = valid(
      validateConfig({
        mapping: [
          { endpoint: '/a', security: { type: 'Bearer', token: 't1', tokens: ['t2', 't1'] }, converter },
          { endpoint: '/b', security: { tokens: ['k'] }, converter },
          { endpoint: '/c', security: { username: 'u', password: 'p' }, converter },
        ],
      }),
    )
    expect(config.mapping.map((m) => m.security)).toEqual([
      { type: 'bearer', tokens: ['t1', 't2'] },
      { type: 'bearer', tokens: ['k'] },
      { type: 'basic', users: [{ username: 'u', password: 'p' }] },
    ])
  })
})

describe('server', () => {
  it('enables mTLS with clientCa (or caCert) and reads bodyLimit', () => {
    const config = valid(
      validateConfig(
        {
          server: { host: '0.0.0.0', port: '8443', SSL: true, bodyLimit: 2048, security: { cert: 'tls/c.pem', key: 'tls/k.pem', caCert: '/pki/ca.pem' } },
          mapping: [{ endpoint: '/a', converter }],
        },
        { configDir: '/srv/gw' },
      ),
    )
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 8443,
      ssl: true,
      cert: '/srv/gw/tls/c.pem',
      key: '/srv/gw/tls/k.pem',
      clientCa: '/pki/ca.pem',
      bodyLimit: 2048,
    })
  })

  it('accepts port 0 (ephemeral)', () => {
    expect(valid(validateConfig({ port: 0, mapping: [{ endpoint: '/a', converter }] })).server.port).toBe(0)
  })
})

describe('converter and datapoints', () => {
  it('normalises type spellings and keeps tsField, dayfirst, yearfirst', () => {
    const timeseries = ['float', 'integer', 'long', 'boolean', 'JSON', 'Double', 'int', 'bool', 'string'].map((type, i) => ({
      key: `k${i}`,
      value: `\${v${i}}`,
      type,
    }))
    const config = valid(
      validateConfig({
        mapping: [
          {
            endpoint: '/a',
            converter: {
              deviceNameExpression: 'x',
              timeseries: [...timeseries, { key: 'd', value: '${d}', tsField: '${meta.time}', dayfirst: true, yearfirst: true }],
            },
          },
        ],
      }),
    )
    const items = config.mapping[0]?.converter.timeseries ?? []
    expect(items.map((d) => d.type)).toEqual(['double', 'int', 'int', 'bool', 'json', 'double', 'int', 'bool', 'string', 'string'])
    expect(items[9]).toMatchObject({ tsField: '${meta.time}', dayfirst: true, yearfirst: true })
  })

  it('stringifies constant values given as numbers or booleans', () => {
    const config = valid(
      validateConfig({
        mapping: [
          {
            endpoint: '/a',
            converter: {
              deviceNameExpression: 'x',
              attributes: [
                { key: 'n', value: 5, type: 'int' },
                { key: 'b', value: true },
              ],
            },
          },
        ],
      }),
    )
    expect(config.mapping[0]?.converter.attributes.map((d) => d.value)).toEqual(['5', 'true'])
  })

  it('treats `extension` as a custom converter and reads extension-config', () => {
    const config = valid(
      validateConfig({
        mapping: [{ endpoint: '/a', converter: { type: 'json', extension: '@acme/conv', 'extension-config': { k: 1 }, deviceNameExpression: 'D' } }],
      }),
    )
    expect(config.mapping[0]?.converter).toMatchObject({ type: 'custom', extension: '@acme/conv', extensionConfig: { k: 1 } })
  })

  it('derives name and profile sources from deviceInfo, explicit source winning', () => {
    const config = valid(
      validateConfig({
        mapping: [
          { endpoint: '/a', converter: { deviceInfo: { deviceNameExpressionSource: 'constant', deviceNameExpression: 'Literal ${x}' }, timeseries: [] } },
          { endpoint: '/b', converter: { deviceInfo: { deviceNameExpression: 'Dev ${id}', deviceProfileExpression: '${kind}' }, timeseries: [] } },
          { endpoint: '/c', converter: { deviceNameExpression: 'Fixed', deviceProfileExpression: 'thermo', timeseries: [] } },
        ],
      }),
    )
    expect(config.mapping.map((m) => m.converter.deviceInfo)).toEqual([
      { nameSource: 'constant', name: 'Literal ${x}', profileSource: 'constant', profile: 'default' },
      { nameSource: 'request', name: 'Dev ${id}', profileSource: 'request', profile: '${kind}' },
      { nameSource: 'constant', name: 'Fixed', profileSource: 'constant', profile: 'thermo' },
    ])
  })

  it('reads the response section', () => {
    const config = valid(
      validateConfig({
        mapping: [
          {
            endpoint: '/a',
            converter,
            response: { successResponse: { ok: true }, unsuccessfulResponse: 'Error', responseExpected: true, timeout: 2, responseAttribute: 'result' },
          },
        ],
      }),
    )
    expect(config.mapping[0]?.response).toEqual({
      successResponse: { ok: true },
      unsuccessfulResponse: 'Error',
      responseExpected: true,
      timeout: 2,
      responseAttribute: 'result',
    })
  })
})

describe('outbound rules', () => {
  it('fills every default of an attribute update', () => {
    const config = valid(
      validateConfig({ attributeUpdates: [{ requestUrlExpression: 'https://api.example.com/${deviceName}', valueExpression: '${attributeValue}' }] }),
    )
    expect(config.attributeUpdates[0]).toMatchObject({
      httpMethod: 'POST',
      httpHeaders: {},
      security: { type: 'anonymous' },
      timeout: 0.5,
      tries: 3,
      allowRedirects: true,
      sslVerify: false,
      extensionConfig: {},
      urlIsRelative: false,
      path: 'attributeUpdates[0]',
    })
    expect(config.attributeUpdates[0]?.deviceNameFilter.test('anything')).toBe(true)
  })

  it('fills every default of an RPC rule (one-way without responseTimeout)', () => {
    const config = valid(validateConfig({ serverSideRpc: [{ requestUrlExpression: 'http://127.0.0.1:5001/' }] }))
    const rule = config.serverSideRpc[0]
    expect(rule).toMatchObject({ httpMethod: 'GET', valueExpression: '${params}', timeout: 0.5, tries: 3, allowRedirects: true, sslVerify: false })
    expect(rule?.responseTimeout).toBeUndefined()
    expect(rule?.methodFilter.test('any-method')).toBe(true)
  })

  it('keeps given headers only (lower-cased), also from a JSON string; {} stays empty', () => {
    const config = valid(
      validateConfig({
        attributeUpdates: [
          { requestUrlExpression: 'http://h.local/', valueExpression: '', httpHeaders: { 'X-Api-Key': 'k', 'X-Retry': 3 } },
          { requestUrlExpression: 'http://h.local/', valueExpression: '', httpHeaders: '{"Content-Type": "text/plain"}' },
          { requestUrlExpression: 'http://h.local/', valueExpression: '', httpHeaders: {} },
        ],
      }),
    )
    expect(config.attributeUpdates.map((r) => r.httpHeaders)).toEqual([{ 'x-api-key': 'k', 'x-retry': '3' }, { 'content-type': 'text/plain' }, {}])
  })

  it('warns about a header given twice in different case', () => {
    const result = validateConfig({
      attributeUpdates: [{ requestUrlExpression: 'http://h.local/', valueExpression: '', httpHeaders: { 'Content-Type': 'a', 'CONTENT-TYPE': 'b' } }],
    })
    expect(valid(result).attributeUpdates[0]?.httpHeaders).toEqual({ 'content-type': 'b' })
    expect(messages(result.warnings)).toEqual([
      'attributeUpdates[0].httpHeaders.CONTENT-TYPE: header given twice (names are case-insensitive); using "CONTENT-TYPE"',
    ])
  })

  it('reads method spellings in any case, a one-element list too, and outbound security', () => {
    const config = valid(
      validateConfig(
        {
          serverSideRpc: [
            { requestUrlExpression: 'http://h.local/', httpMethod: 'put', security: { type: 'Basic', username: 'u', password: 'p' } },
            { requestUrlExpression: 'http://h.local/', HTTPMethods: ['delete'], security: { type: 'cert', cert: 'c.pem', key: 'k.pem', caCert: 'ca.pem' } },
          ],
        },
        { configDir: '/gw' },
      ),
    )
    expect(config.serverSideRpc.map((r) => [r.httpMethod, r.security])).toEqual([
      ['PUT', { type: 'basic', username: 'u', password: 'p' }],
      ['DELETE', { type: 'cert', cert: '/gw/c.pem', key: '/gw/k.pem', ca: '/gw/ca.pem' }],
    ])
  })

  it('compiles Python-style filters as full matches', () => {
    const config = valid(
      validateConfig({ serverSideRpc: [{ requestUrlExpression: 'http://h.local/', deviceNameFilter: '(?P<line>L\\d)-(?P=line)', methodFilter: '(?i)set.*' }] }),
    )
    const rule = config.serverSideRpc[0]
    expect(rule?.deviceNameFilter.test('L1-L1')).toBe(true)
    expect(rule?.deviceNameFilter.test('L1-L2')).toBe(false)
    expect(rule?.methodFilter.test('SetTemp')).toBe(true)
  })
})

describe('attribute requests', () => {
  it('fills defaults and reads client type', () => {
    const config = valid(
      validateConfig({ attributeRequests: [{ endpoint: '/attrs' }, { endpoint: '/client', type: 'CLIENT', HTTPMethods: 'get', timeout: 2.5 }] }),
    )
    expect(config.attributeRequests.map((r) => [r.type, r.methods, r.timeout, r.deviceNameExpression, r.attributeNameExpression])).toEqual([
      ['shared', ['POST'], 10, '${deviceName}', '${attribute}'],
      ['client', ['GET'], 2.5, '${deviceName}', '${attribute}'],
    ])
  })
})
