import { describe, expect, it } from 'vitest'
import { validateConfig } from '../src/validate-config.ts'

const converter = { deviceNameExpression: '${n}', timeseries: [{ key: 't', value: '${t}' }] }
const endpoint = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ endpoint: '/a', converter, ...extra })
const rpc = (extra: Record<string, unknown>): unknown => ({ serverSideRpc: [{ requestUrlExpression: 'http://127.0.0.1:5001/', ...extra }] })

/** Each broken config with the exact issues (path and message) it must produce, in order. */
const cases: Array<[string, unknown, Array<[string, string]>]> = [
  [
    'misspelt HTTP method',
    { mapping: [endpoint(), { endpoint: '/b', HTTPMethods: ['PSOT'], converter }] },
    [['mapping[1].HTTPMethods[0]', 'mapping[1].HTTPMethods[0]: expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS; got "PSOT"']],
  ],
  [
    'method of the wrong type',
    { mapping: [endpoint({ HTTPMethod: 5 })] },
    [['mapping[0].HTTPMethod', 'mapping[0].HTTPMethod: expected an HTTP method or a list of them; got 5']],
  ],
  [
    'a number inside the method list',
    { mapping: [endpoint({ httpMethods: ['GET', 7] })] },
    [['mapping[0].httpMethods[1]', 'mapping[0].httpMethods[1]: expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS; got 7']],
  ],
  [
    'empty method list',
    { mapping: [endpoint({ HTTPMethods: [] })] },
    [['mapping[0].HTTPMethods', 'mapping[0].HTTPMethods: expected at least one HTTP method; got an empty array']],
  ],
  [
    'missing endpoint',
    { mapping: [{ converter }] },
    [['mapping[0].endpoint', 'mapping[0].endpoint: expected an endpoint path starting with "/"; got nothing']],
  ],
  [
    'endpoint without leading slash',
    { mapping: [endpoint({ endpoint: 'my_devices' })] },
    [['mapping[0].endpoint', 'mapping[0].endpoint: expected an endpoint path starting with "/"; got "my_devices"']],
  ],
  ['missing converter', { mapping: [{ endpoint: '/a' }] }, [['mapping[0].converter', 'mapping[0].converter: expected an object; got nothing']]],
  ['port not numeric', { port: 'abc', mapping: [endpoint()] }, [['port', 'port: expected a port number 0-65535 (a number or a numeric string); got "abc"']]],
  [
    'port out of range',
    { server: { port: 70000 }, mapping: [endpoint()] },
    [['server.port', 'server.port: expected a port number 0-65535 (a number or a numeric string); got 70000']],
  ],
  ['SSL as a string', { SSL: 'yes', mapping: [endpoint()] }, [['SSL', 'SSL: expected true or false; got "yes"']]],
  [
    'unknown datapoint type',
    { mapping: [endpoint({ converter: { deviceNameExpression: 'x', timeseries: [{ key: 't', value: '${t}', type: 'dbl' }] } })] },
    [
      [
        'mapping[0].converter.timeseries[0].type',
        'mapping[0].converter.timeseries[0].type: expected one of string, double, float, int, integer, long, bool, boolean, json; got "dbl"',
      ],
    ],
  ],
  [
    'no device name at all',
    { mapping: [endpoint({ converter: { timeseries: [{ key: 't', value: '${t}' }] } })] },
    [['mapping[0].converter', 'mapping[0].converter: expected a device name: "deviceInfo" or "deviceNameExpression"; got neither']],
  ],
  [
    'deviceInfo without a name',
    { mapping: [endpoint({ converter: { deviceInfo: { deviceProfileExpression: 'x' }, timeseries: [] } })] },
    [
      [
        'mapping[0].converter.deviceInfo.deviceNameExpression',
        'mapping[0].converter.deviceInfo.deviceNameExpression: expected a device name or ${...} template; got nothing',
      ],
    ],
  ],
  [
    'basic security without credentials',
    { mapping: [endpoint({ security: { type: 'Basic' } })] },
    [['mapping[0].security', 'mapping[0].security: expected "username" and "password", or "users" (type is basic); got neither']],
  ],
  [
    'basic security without password',
    { mapping: [endpoint({ security: { type: 'basic', username: 'u' } })] },
    [['mapping[0].security.password', 'mapping[0].security.password: expected a password string (username is given); got nothing']],
  ],
  [
    'a password of the wrong type is not shown',
    { mapping: [endpoint({ security: { type: 'basic', username: 'u', password: 123456 } })] },
    [['mapping[0].security.password', 'mapping[0].security.password: expected a password string; got a number']],
  ],
  [
    'unknown security type',
    { mapping: [endpoint({ security: { type: 'digest' } })] },
    [['mapping[0].security.type', 'mapping[0].security.type: expected one of anonymous, basic, bearer; got "digest"']],
  ],
  [
    'bearer without token',
    { mapping: [endpoint({ security: { type: 'bearer' } })] },
    [['mapping[0].security', 'mapping[0].security: expected "token" or "tokens" (type is bearer); got neither']],
  ],
  [
    'attribute update without URL',
    { attributeUpdates: [{ valueExpression: '${attributeValue}' }] },
    [['attributeUpdates[0].requestUrlExpression', 'attributeUpdates[0].requestUrlExpression: expected a URL template; got nothing']],
  ],
  [
    'attribute update without value',
    { requestsMapping: { attributeUpdates: [{ requestUrlExpression: 'http://h.local/' }] } },
    [
      [
        'requestsMapping.attributeUpdates[0].valueExpression',
        'requestsMapping.attributeUpdates[0].valueExpression: expected a body template string; got nothing',
      ],
    ],
  ],
  ['tries 0', rpc({ tries: 0 }), [['serverSideRpc[0].tries', 'serverSideRpc[0].tries: expected an integer ≥ 1; got 0']]],
  ['fractional tries', rpc({ tries: 2.5 }), [['serverSideRpc[0].tries', 'serverSideRpc[0].tries: expected an integer ≥ 1; got 2.5']]],
  ['timeout 0', rpc({ timeout: 0 }), [['serverSideRpc[0].timeout', 'serverSideRpc[0].timeout: expected a number > 0; got 0']]],
  ['timeout as a string', rpc({ timeout: '1' }), [['serverSideRpc[0].timeout', 'serverSideRpc[0].timeout: expected a number > 0; got "1"']]],
  [
    'negative responseTimeout',
    rpc({ responseTimeout: -1 }),
    [['serverSideRpc[0].responseTimeout', 'serverSideRpc[0].responseTimeout: expected a number > 0; got -1']],
  ],
  [
    'invalid regex',
    rpc({ methodFilter: '(abc' }),
    [['serverSideRpc[0].methodFilter', 'serverSideRpc[0].methodFilter: expected a valid regular expression; got "(abc" (Unterminated group)']],
  ],
  [
    'template syntax errors in URL and body',
    rpc({ requestUrlExpression: 'http://h.local/${x', valueExpression: '${}' }),
    [
      [
        'serverSideRpc[0].requestUrlExpression',
        'serverSideRpc[0].requestUrlExpression: expected a valid ${...} template; got "http://h.local/${x" ("${" is not closed by "}" at position 15)',
      ],
      [
        'serverSideRpc[0].valueExpression',
        'serverSideRpc[0].valueExpression: expected a valid ${...} template; got "${}" (the expression is empty at position 0)',
      ],
    ],
  ],
  [
    'template syntax error in a datapoint value',
    { mapping: [endpoint({ converter: { deviceNameExpression: '${n}', attributes: [{ key: 'k', value: 'v ${a' }] } })] },
    [
      [
        'mapping[0].converter.attributes[0].value',
        'mapping[0].converter.attributes[0].value: expected a valid ${...} template; got "v ${a" ("${" is not closed by "}" at position 2)',
      ],
    ],
  ],
  [
    'responseExpected without responseAttribute',
    { mapping: [endpoint({ response: { responseExpected: true } })] },
    [
      [
        'mapping[0].response.responseAttribute',
        'mapping[0].response.responseAttribute: expected the shared attribute that answers the request (responseExpected is true); got nothing',
      ],
    ],
  ],
  [
    'custom converter without extension',
    { mapping: [endpoint({ converter: { type: 'custom', deviceNameExpression: 'x' } })] },
    [
      [
        'mapping[0].converter.extension',
        'mapping[0].converter.extension: expected a converter module (path, package or name) because type is "custom"; got nothing',
      ],
    ],
  ],
  [
    'two endpoints on the same route and method',
    { mapping: [endpoint({ endpoint: '/dev/{name}' }), endpoint({ endpoint: '/dev/:id', HTTPMethods: ['get', 'post'] })] },
    [
      [
        'mapping[1].endpoint',
        'mapping[1].endpoint: expected an endpoint and method not served by another endpoint; got "/dev/:id" with POST, already served by mapping[0]',
      ],
    ],
  ],
  [
    'headers that are neither an object nor JSON',
    { attributeUpdates: [{ requestUrlExpression: 'http://h.local/', valueExpression: '', httpHeaders: 'nope' }] },
    [
      [
        'attributeUpdates[0].httpHeaders',
        'attributeUpdates[0].httpHeaders: expected an object of header names to values (or that object as a JSON string); got "nope"',
      ],
    ],
  ],
  ['the root is not an object', [], [['', '(root): expected an object; got an empty array']]],
  ['mapping is not a list', { mapping: {} }, [['mapping', 'mapping: expected a list of endpoint mappings; got an object']]],
  [
    'outbound basic security without credentials',
    { attributeUpdates: [{ requestUrlExpression: 'http://h.local/', valueExpression: '', security: { type: 'basic' } }] },
    [
      ['attributeUpdates[0].security.username', 'attributeUpdates[0].security.username: expected a non-empty username (type is basic); got nothing'],
      ['attributeUpdates[0].security.password', 'attributeUpdates[0].security.password: expected a password string (type is basic); got nothing'],
    ],
  ],
  [
    'unknown log level',
    { logLevel: 'verbose', mapping: [endpoint()] },
    [['logLevel', 'logLevel: expected one of TRACE, DEBUG, INFO, WARNING, WARN, ERROR, CRITICAL, FATAL, NONE; got "verbose"']],
  ],
  [
    'tsField without ${...}',
    { mapping: [endpoint({ converter: { deviceNameExpression: 'x', timeseries: [{ key: 't', value: '${t}', tsField: 'time' }] } })] },
    [
      [
        'mapping[0].converter.timeseries[0].tsField',
        'mapping[0].converter.timeseries[0].tsField: expected a ${...} expression naming the timestamp field; got "time"',
      ],
    ],
  ],
  [
    'attribute request with an unknown type and no placeholder',
    { attributeRequests: [{ endpoint: '/x', type: 'server', attributeNameExpression: 'model' }] },
    [
      ['attributeRequests[0].type', 'attributeRequests[0].type: expected one of shared, client; got "server"'],
      [
        'attributeRequests[0].attributeNameExpression',
        'attributeRequests[0].attributeNameExpression: expected at least one ${...} naming an attribute key; got "model"',
      ],
    ],
  ],
  [
    'several methods for an outbound rule',
    rpc({ HTTPMethod: ['GET', 'POST'] }),
    [['serverSideRpc[0].HTTPMethod', 'serverSideRpc[0].HTTPMethod: expected a single HTTP method; got an array']],
  ],
  ['bodyLimit 0', { server: { bodyLimit: 0 }, mapping: [endpoint()] }, [['server.bodyLimit', 'server.bodyLimit: expected an integer ≥ 1; got 0']]],
  [
    'cert without key when SSL is on',
    { server: { SSL: true, security: { cert: 'c.pem' } }, mapping: [endpoint()] },
    [['server.security.key', 'server.security.key: expected a private key file path (cert is given); got nothing']],
  ],
]

describe('broken configs: exact path and message', () => {
  it.each(cases)('%s', (_name, json, expected) => {
    const result = validateConfig(json, { configDir: '/cfg' })
    expect(result.ok).toBe(false)
    expect(result.config).toBeUndefined()
    expect(result.issues.map((issue) => [issue.path, issue.message])).toEqual(expected)
  })

  it('collects every issue of a config, not only the first', () => {
    const json = {
      port: 'x',
      mapping: [{ endpoint: 'a', HTTPMethods: ['PSOT'], converter: { deviceNameExpression: '${', timeseries: [{ key: 't', value: '${t}', type: 'number' }] } }],
      serverSideRpc: [{ requestUrlExpression: 'http://h.local/', tries: 0, methodFilter: '[' }],
    }
    const result = validateConfig(json)
    expect(result.issues.map((issue) => issue.path)).toEqual([
      'port',
      'mapping[0].endpoint',
      'mapping[0].HTTPMethods[0]',
      'mapping[0].converter.timeseries[0].type',
      'serverSideRpc[0].tries',
      'mapping[0].converter.deviceNameExpression',
      'serverSideRpc[0].methodFilter',
    ])
  })
})
