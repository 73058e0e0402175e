/** The zod schema of a whole rest.json (both formats) and the key lists the validator warns with. */
import { z } from 'zod'
import { keySpecOf, type KeySpec } from '../_keys.ts'
import { bool, ciEnum, expect, nonEmpty, notImplemented, type LooseSchema } from './_primitives.ts'
import {
  attributeRequestSchema,
  converterSchema,
  CONVERTER_NOT_IMPLEMENTED,
  datapointSchema,
  deviceInfoSchema,
  inboundSecuritySchema,
  MAPPING_NOT_IMPLEMENTED,
  mappingSchema,
  oldServerFields,
  responseSchema,
  serverSchema,
  serverTlsSchema,
  userSchema,
} from './rest-inbound.ts'
import { attributeUpdateSchema, outboundSecuritySchema, rpcSchema } from './rest-outbound.ts'
import { downlinkSchema, fetchAccessSchema } from './downlink.ts'

/** Log levels accepted in `logLevel` (any case). */
export const LOG_LEVELS: readonly string[] = ['TRACE', 'DEBUG', 'INFO', 'WARNING', 'WARN', 'ERROR', 'CRITICAL', 'FATAL', 'NONE']

const REST_ROOT_NOT_IMPLEMENTED: readonly string[] = ['id', 'reportStrategy', 'enableRemoteLogging', 'debugMode', 'configVersion']

const requestSections = {
  attributeRequests: z
    .array(attributeRequestSchema, expect('a list of attribute request endpoints'))
    .describe('Endpoints through which devices request attributes from ThingsBoard.')
    .optional(),
  attributeUpdates: z.array(attributeUpdateSchema, expect('a list of attribute update rules')).describe('Shared attribute updates → HTTP requests.').optional(),
  serverSideRpc: z.array(rpcSchema, expect('a list of RPC rules')).describe('Server-side RPC → HTTP requests.').optional(),
}

const requestsMappingSchema: LooseSchema = z
  .looseObject(requestSections, expect('an object'))
  .describe('New format: attributeRequests, attributeUpdates and serverSideRpc.')
  .meta({ id: 'RequestsMapping' })

const restRootSchema: LooseSchema = z
  .looseObject(
    {
      $schema: z.string(expect('a string')).describe('JSON schema of this file (for editors).').optional(),
      name: nonEmpty('a non-empty connector name', 'Connector name (tb_gateway.json connectors[].name wins). Default `REST Connector`.').optional(),
      logLevel: ciEnum(LOG_LEVELS, 'Log level of this connector. Default INFO.').optional(),
      server: serverSchema.optional(),
      ...oldServerFields,
      SSLVerify: bool("Accepted for compatibility (docs' general section); ignored.").optional(),
      mapping: z.array(mappingSchema, expect('a list of endpoint mappings')).describe('Endpoints that receive device data.').optional(),
      requestsMapping: requestsMappingSchema.optional(),
      ...requestSections,
      downlink: downlinkSchema.optional(),
      reservedRpc: fetchAccessSchema
        .describe('Reserved `get`/`set` RPCs (fetch any URL by default, as the original): switch off or limit to hosts / URL prefixes.')
        .optional(),
      ...Object.fromEntries(REST_ROOT_NOT_IMPLEMENTED.map((key) => [key, notImplemented('Key of the original gateway.').optional()])),
    },
    expect('an object'),
  )
  .meta({ title: 'restgate REST connector configuration (rest.json)' })

/** zod schema of rest.json: both the old and the new format, all accepted spellings. */
export const restConfigSchema: z.ZodType = restRootSchema

/** Key lists per rest.json section. */
export const restKeys: Readonly<Record<RestSection, KeySpec>> = {
  root: keySpecOf(restRootSchema, REST_ROOT_NOT_IMPLEMENTED, ['$schema', 'SSLVerify']),
  server: keySpecOf(serverSchema, [], ['SSLVerify']),
  serverTls: keySpecOf(serverTlsSchema),
  mapping: keySpecOf(mappingSchema, MAPPING_NOT_IMPLEMENTED),
  inboundSecurity: keySpecOf(inboundSecuritySchema),
  user: keySpecOf(userSchema),
  converter: keySpecOf(converterSchema, CONVERTER_NOT_IMPLEMENTED),
  deviceInfo: keySpecOf(deviceInfoSchema),
  datapoint: keySpecOf(datapointSchema, ['reportStrategy']),
  response: keySpecOf(responseSchema),
  attributeRequest: keySpecOf(attributeRequestSchema),
  requestsMapping: keySpecOf(requestsMappingSchema),
  attributeUpdate: keySpecOf(attributeUpdateSchema),
  rpc: keySpecOf(rpcSchema),
  outboundSecurity: keySpecOf(outboundSecuritySchema),
  downlink: keySpecOf(downlinkSchema),
  fetchAccess: keySpecOf(fetchAccessSchema),
}

export type RestSection =
  | 'root'
  | 'downlink'
  | 'fetchAccess'
  | 'server'
  | 'serverTls'
  | 'mapping'
  | 'inboundSecurity'
  | 'user'
  | 'converter'
  | 'deviceInfo'
  | 'datapoint'
  | 'response'
  | 'attributeRequest'
  | 'requestsMapping'
  | 'attributeUpdate'
  | 'rpc'
  | 'outboundSecurity'
