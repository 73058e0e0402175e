/** zod schemas of the outbound (ThingsBoard → HTTP) sections: attributeUpdates and serverSideRpc. */
import { z } from 'zod'
import { bool, ciEnum, expect, freeObject, headers, integer, nonEmpty, positive, singleMethod, type LooseSchema } from './_primitives.ts'
import { METHOD_KEYS } from './rest-inbound.ts'

export const outboundSecuritySchema: LooseSchema = z
  .looseObject(
    {
      type: ciEnum(['anonymous', 'basic', 'cert'], 'Authentication towards the target. Default anonymous.').optional(),
      username: nonEmpty('a non-empty username', 'basic: user name.').optional(),
      password: z.string(expect('a password string')).describe('basic: password.').optional(),
      cert: nonEmpty('a certificate file path', 'cert: client certificate (PEM file).').optional(),
      key: nonEmpty('a private key file path', 'cert: client private key (PEM file).').optional(),
      ca: nonEmpty('a CA file path', 'cert: CA bundle to verify the target.').optional(),
      caCert: nonEmpty('a CA file path', 'Same as `ca`.').optional(),
    },
    expect('an object'),
  )
  .describe('Authentication of the outbound request.')
  .meta({ id: 'OutboundSecurity' })

const outboundFields = (defaultMethod: string, defaultValue: string | undefined): z.ZodRawShape => ({
  ...Object.fromEntries(METHOD_KEYS.map((key) => [key, singleMethod(`HTTP method of the request, any case. Default ${defaultMethod}.`).optional()])),
  requestUrlExpression: nonEmpty('a URL template', 'Target URL; `${...}` values are percent-encoded.'),
  valueExpression:
    defaultValue === undefined
      ? z.string(expect('a body template string')).describe('Request body; `${...}` values are JSON-encoded in a JSON body.')
      : z.string(expect('a body template string')).describe(`Request body. Default \`${defaultValue}\`.`).optional(),
  httpHeaders: headers(
    'Request headers (names in any case); `${...}` values are rendered (CR/LF refused). Absent: no headers, so no Content-Type (as the original).',
  ).optional(),
  security: outboundSecuritySchema.optional(),
  timeout: positive('Seconds per try. Default 0.5.').optional(),
  tries: integer(1, 'Total attempts (exponential backoff between them). Default 3.').optional(),
  allowRedirects: bool('Follow redirects. Default true.').optional(),
  SSLVerify: bool("Verify the target's TLS certificate. Default false.").optional(),
  deviceNameFilter: z.string(expect('a regular expression')).describe('Regular expression (full match) on the device name. Default `.*`.').optional(),
  extension: nonEmpty('a converter module (path, package or name)', 'Custom downlink converter.').optional(),
  extensionConfig: freeObject('Options passed to a custom downlink converter.').optional(),
  'extension-config': freeObject('Old spelling of `extensionConfig`.').optional(),
})

export const attributeUpdateSchema: LooseSchema = z
  .looseObject(
    {
      ...outboundFields('POST', undefined),
      attributeFilter: z.string(expect('a regular expression')).describe('Regular expression (full match) on the attribute key. Default `.*`.').optional(),
    },
    expect('an object'),
  )
  .meta({ id: 'AttributeUpdate' })

export const rpcSchema: LooseSchema = z
  .looseObject(
    {
      ...outboundFields('GET', '${params}'),
      methodFilter: z.string(expect('a regular expression')).describe('Regular expression (full match) on the RPC method. Default `.*`.').optional(),
      responseTimeout: positive('Seconds to wait for the answer, which is sent back as the RPC reply. Absent: one-way, no reply.').optional(),
    },
    expect('an object'),
  )
  .meta({ id: 'ServerSideRpc' })
