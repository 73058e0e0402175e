/** Normalises `mapping[]` entries and `attributeRequests[]` endpoints. */
import { responseDefaults, attributeRequestDefaults } from './defaults.ts'
import { section, type NormaliseContext } from './_context.ts'
import { joinPath } from './_describe.ts'
import { readConverter } from './_rest-converter.ts'
import { readInboundSecurity, readMethods } from './_rest-endpoint.ts'
import { boolOf, numberOf, stringOf } from './_raw.ts'
import { checkTemplate } from './_templates.ts'
import type { AttributeRequestConfig, MappingConfig, ResponseConfig } from './model.ts'
import { restKeys } from './schema/rest-schema.ts'

function readResponse(ctx: NormaliseContext, value: unknown, path: string): ResponseConfig {
  const raw = section(ctx, value, path, restKeys.response)
  if (raw === undefined) return { ...responseDefaults }
  const responseExpected = boolOf(raw.responseExpected) ?? responseDefaults.responseExpected
  const responseAttribute = stringOf(raw.responseAttribute)
  if (responseExpected && raw.responseAttribute === undefined) {
    ctx.collector.expected(joinPath(path, 'responseAttribute'), 'the shared attribute that answers the request (responseExpected is true)', undefined)
  }
  return {
    ...(raw.successResponse === undefined ? {} : { successResponse: raw.successResponse }),
    ...(raw.unsuccessfulResponse === undefined ? {} : { unsuccessfulResponse: raw.unsuccessfulResponse }),
    responseExpected,
    timeout: numberOf(raw.timeout) ?? responseDefaults.timeout,
    ...(responseAttribute === undefined ? {} : { responseAttribute }),
  }
}

/** One `mapping[i]`; undefined when it is not an object or has no usable converter (issues say why). */
export function readMapping(ctx: NormaliseContext, value: unknown, path: string): MappingConfig | undefined {
  const raw = section(ctx, value, path, restKeys.mapping)
  if (raw === undefined) return undefined
  const methods = readMethods(ctx, raw, path, ['POST'])
  const security = readInboundSecurity(ctx, raw.security, joinPath(path, 'security'))
  const converter = readConverter(ctx, raw.converter, joinPath(path, 'converter'))
  const response = readResponse(ctx, raw.response, joinPath(path, 'response'))
  if (converter === undefined) return undefined
  return { endpoint: stringOf(raw.endpoint) ?? '', methods, security, path, converter, response }
}

/** One `attributeRequests[i]`. */
export function readAttributeRequest(ctx: NormaliseContext, value: unknown, path: string): AttributeRequestConfig | undefined {
  const raw = section(ctx, value, path, restKeys.attributeRequest)
  if (raw === undefined) return undefined
  const d = attributeRequestDefaults
  const deviceNameExpression = stringOf(raw.deviceNameExpression) ?? d.deviceNameExpression
  const attributeNameExpression = stringOf(raw.attributeNameExpression) ?? d.attributeNameExpression
  checkTemplate(ctx.collector, joinPath(path, 'deviceNameExpression'), deviceNameExpression)
  const keys = checkTemplate(ctx.collector, joinPath(path, 'attributeNameExpression'), attributeNameExpression)
  if (keys !== undefined && keys.length === 0) {
    ctx.collector.expected(joinPath(path, 'attributeNameExpression'), 'at least one ${...} naming an attribute key', attributeNameExpression)
  }
  return {
    endpoint: stringOf(raw.endpoint) ?? '',
    methods: readMethods(ctx, raw, path, [...d.methods]),
    security: readInboundSecurity(ctx, raw.security, joinPath(path, 'security')),
    path,
    type: stringOf(raw.type)?.toLowerCase() === 'client' ? 'client' : 'shared',
    timeout: numberOf(raw.timeout) ?? d.timeout,
    deviceNameExpression,
    attributeNameExpression,
  }
}
