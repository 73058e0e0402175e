/** zod schemas of the inbound (device → gateway) sections of rest.json, in both formats. */
import { z } from 'zod'
import { bool, ciEnum, expect, freeObject, integer, methods, nonEmpty, notImplemented, port, positive, type LooseSchema } from './_primitives.ts'

/** Spellings of datapoint types accepted in `type` (any case). */
export const VALUE_TYPE_SPELLINGS: readonly string[] = ['string', 'double', 'float', 'int', 'integer', 'long', 'bool', 'boolean', 'json']

/** `server.security` (and the old top-level `security`): TLS material of the HTTP server. */
export const serverTlsSchema: LooseSchema = z
  .looseObject(
    {
      cert: nonEmpty('a certificate file path', 'PEM certificate file (`~` expanded, relative to the config file).').optional(),
      key: nonEmpty('a private key file path', 'PEM private key file (`~` expanded, relative to the config file).').optional(),
      clientCa: nonEmpty('a CA file path', 'CA bundle for client certificates: enables mutual TLS (clients must present a certificate).').optional(),
      caCert: nonEmpty('a CA file path', 'Same as `clientCa`.').optional(),
    },
    expect('an object with cert and key'),
  )
  .describe('TLS certificate and key of the server (used when SSL is true).')
  .meta({ id: 'ServerTls' })

const SERVER_FIELDS = {
  host: nonEmpty('a host name or IP address', 'Address the HTTP server listens on. Default 127.0.0.1.').optional(),
  port: port('Port of the HTTP server. Default 5000.').optional(),
  SSL: bool('Serve HTTPS. Default false.').optional(),
}

export const serverSchema: LooseSchema = z
  .looseObject(
    {
      ...SERVER_FIELDS,
      security: serverTlsSchema.optional(),
      bodyLimit: integer(1, 'Largest accepted request body in bytes (a gzip/deflate body: its inflated size). Default 1048576 (1 MiB).').optional(),
      maxJsonDepth: integer(
        1,
        'Deepest nesting of objects and arrays in a JSON body (the body is level 1); deeper bodies get 400 BODY_TOO_DEEP. Default 32.',
      ).optional(),
      maxArrayElements: integer(1, 'Most elements of a JSON array body; more get 413 TOO_MANY_ELEMENTS. Default 10000.').optional(),
      maxJsonKeys: integer(1, 'Most object keys in a JSON body, at every depth; more get 413 TOO_MANY_KEYS. Default 100000.').optional(),
      SSLVerify: bool('Accepted for compatibility; ignored.').optional(),
    },
    expect('an object'),
  )
  .describe('The HTTP server (new format).')
  .meta({ id: 'Server' })

/** The old format's top-level server keys. */
export const OLD_SERVER_KEYS: readonly string[] = ['host', 'port', 'SSL', 'security']
export const oldServerFields: z.ZodRawShape = { ...SERVER_FIELDS, security: serverTlsSchema.optional() }

export const userSchema: LooseSchema = z
  .looseObject(
    {
      username: nonEmpty('a non-empty username'),
      password: z.string(expect('a password string')),
    },
    expect('an object with username and password'),
  )
  .meta({ id: 'User' })

export const inboundSecuritySchema: LooseSchema = z
  .looseObject(
    {
      type: ciEnum(['anonymous', 'basic', 'bearer'], 'How clients authenticate. Default anonymous (or basic/bearer when credentials are given).').optional(),
      username: nonEmpty('a non-empty username', 'basic: the user name.').optional(),
      password: z.string(expect('a password string')).describe('basic: the password.').optional(),
      users: z.array(userSchema, expect('a list of {username, password}')).min(1, expect('at least one user')).describe('basic: several users.').optional(),
      token: nonEmpty('a non-empty token', 'bearer: the accepted token (`Authorization: Bearer <token>`).').optional(),
      tokens: z
        .array(nonEmpty('a non-empty token'), expect('a list of tokens'))
        .min(1, expect('at least one token'))
        .describe('bearer: several accepted tokens.')
        .optional(),
    },
    expect('an object'),
  )
  .describe('Client authentication of this endpoint.')
  .meta({ id: 'InboundSecurity' })

export const datapointSchema: LooseSchema = z
  .looseObject(
    {
      type: ciEnum(VALUE_TYPE_SPELLINGS, 'Value type: string (default), double/float, int/integer/long, bool/boolean, json.').optional(),
      key: nonEmpty('a non-empty key (text or ${...} template)', 'Key sent to ThingsBoard; may be a template (`${kind}_value`).'),
      value: z
        .union([z.string(), z.number(), z.boolean()], expect('a value template string (or a constant)'))
        .describe('Value: a `${path}` template or a constant.'),
      tsField: z
        .string(expect('a ${...} expression naming the timestamp field'))
        .describe("`${path}` of the body field that holds this item's timestamp.")
        .optional(),
      dayfirst: bool('Parse ambiguous dates in tsField day first. Default false.').optional(),
      yearfirst: bool('Parse ambiguous dates in tsField year first. Default false.').optional(),
      reportStrategy: notImplemented('Per-datapoint report strategy of the original.').optional(),
    },
    expect('an object with key and value'),
  )
  .meta({ id: 'Datapoint' })

const DEVICE_SOURCE = ['request', 'constant']

export const deviceInfoSchema: LooseSchema = z
  .looseObject(
    {
      deviceNameExpressionSource: ciEnum(DEVICE_SOURCE, '`request`: the name is a template; `constant`: used literally.').optional(),
      deviceNameExpression: nonEmpty('a device name or ${...} template', 'Device name, e.g. `${sensorName}`.').optional(),
      deviceProfileExpressionSource: ciEnum(DEVICE_SOURCE, '`request`: the profile is a template; `constant`: used literally.').optional(),
      deviceProfileExpression: nonEmpty('a device profile or ${...} template', 'Device profile (type). Default `default`.').optional(),
    },
    expect('an object'),
  )
  .describe('Device name and profile (new format).')
  .meta({ id: 'DeviceInfo' })

const datapoints = (what: string): z.ZodType =>
  z.array(datapointSchema, expect(`a list of ${what}`)).describe(`${what[0]?.toUpperCase()}${what.slice(1)} to extract from each request.`)

export const CONVERTER_NOT_IMPLEMENTED: readonly string[] = ['reportStrategy']

export const converterSchema: LooseSchema = z
  .looseObject(
    {
      type: ciEnum(['json', 'custom'], '`json` (default) or `custom` (with `extension`).').optional(),
      extension: nonEmpty(
        'a converter module (path, package or name)',
        'Custom converter: a path (`./conv.mjs`), a package name or a bare name found as `extensions/rest/<Name>.mjs`.',
      ).optional(),
      extensionConfig: freeObject('Options passed to a custom converter.').optional(),
      'extension-config': freeObject('Old spelling of `extensionConfig`.').optional(),
      deviceInfo: deviceInfoSchema.optional(),
      deviceNameExpression: nonEmpty('a device name or ${...} template', 'Old format: device name (a template when it contains `${`).').optional(),
      deviceTypeExpression: nonEmpty('a device type or ${...} template', 'Old format: device type (profile). Default `default`.').optional(),
      deviceProfileExpression: nonEmpty('a device profile or ${...} template', 'Old format: same as deviceTypeExpression.').optional(),
      attributes: datapoints('attributes').optional(),
      timeseries: datapoints('timeseries').optional(),
      reportStrategy: notImplemented('Report strategy of the original.').optional(),
    },
    expect('an object'),
  )
  .describe('How a request becomes device data.')
  .meta({ id: 'Converter' })

export const responseSchema: LooseSchema = z
  .looseObject(
    {
      successResponse: z.unknown().describe('Body of a 200 (text when a string, JSON otherwise).').optional(),
      unsuccessfulResponse: z.unknown().describe('Body of error answers.').optional(),
      responseExpected: bool('Wait for a shared attribute (`responseAttribute`) and answer with its value. Default false.').optional(),
      timeout: positive('Seconds to wait for responseAttribute. Default 120.').optional(),
      responseAttribute: nonEmpty('a shared attribute name', 'Shared attribute whose update answers the request.').optional(),
    },
    expect('an object'),
  )
  .describe('What the endpoint answers.')
  .meta({ id: 'Response' })

const endpointPath = z
  .string(expect('an endpoint path starting with "/"'))
  .regex(/^\//, expect('an endpoint path starting with "/"'))
  .describe('URL path of the endpoint; `{name}` or `:name` capture path parameters.')

/** The four spellings of an endpoint's method list. */
export const METHOD_KEYS: readonly string[] = ['HTTPMethods', 'HTTPMethod', 'httpMethods', 'httpMethod']

const methodFields = (description: string): z.ZodRawShape => Object.fromEntries(METHOD_KEYS.map((key) => [key, methods(description).optional()]))

export const MAPPING_NOT_IMPLEMENTED: readonly string[] = ['reportStrategy']

export const mappingSchema: LooseSchema = z
  .looseObject(
    {
      endpoint: endpointPath,
      ...methodFields('Allowed HTTP method(s), any case. Default POST.'),
      security: inboundSecuritySchema.optional(),
      converter: converterSchema,
      response: responseSchema.optional(),
      reportStrategy: notImplemented('Report strategy of the original.').optional(),
    },
    expect('an object'),
  )
  .meta({ id: 'Mapping' })

export const attributeRequestSchema: LooseSchema = z
  .looseObject(
    {
      endpoint: endpointPath,
      type: ciEnum(['shared', 'client'], 'Attribute scope to request. Default shared.').optional(),
      ...methodFields('Allowed HTTP method(s), any case. Default POST.'),
      security: inboundSecuritySchema.optional(),
      timeout: positive("Seconds to wait for ThingsBoard's answer. Default 10.").optional(),
      deviceNameExpression: nonEmpty('a ${...} template', 'Device name template. Default `${deviceName}`.').optional(),
      attributeNameExpression: nonEmpty('a ${...} template', 'Every `${...}` in it names one attribute key. Default `${attribute}`.').optional(),
    },
    expect('an object'),
  )
  .meta({ id: 'AttributeRequest' })
