import type { OutboundRequestConfig } from '@restgate/config'
import { TemplateError } from '@restgate/templater'
import { ConverterError } from '../errors.ts'
import { compileRequestTemplate, type RequestTemplate } from './_request-template.ts'
import type { AttributeUpdateRequestBuilder, DownlinkBuilderOptions, DownlinkEvent, OutboundRequest, RpcCall, RpcRequestBuilder } from './types.ts'

function compile(rule: OutboundRequestConfig, options: DownlinkBuilderOptions | undefined): RequestTemplate {
  try {
    return compileRequestTemplate(rule, options?.logger)
  } catch (e) {
    if (!TemplateError.is(e)) throw e
    throw new ConverterError('CONVERTER_CONFIG', e.message, { path: e.path ?? rule.path, cause: e })
  }
}

const hasOwn = Object.hasOwn

/**
 * The variables an attribute-update template sees: the update's keys, then the three built-ins.
 * With `names` (what the rule's templates can read, see `RequestTemplate.names`) only those keys
 * of `data` are copied, so one request costs the same whatever the size of the update: building
 * the requests of an N-key update is O(N) in total, not O(N²).
 */
export function attributeUpdateScope(
  device: string,
  key: string,
  value: unknown,
  data: Record<string, unknown>,
  names?: readonly string[],
): Record<string, unknown> {
  if (names === undefined) return { ...data, deviceName: device, attributeKey: key, attributeValue: value }
  const scope: Record<string, unknown> = {}
  for (const name of names) {
    if (!hasOwn(data, name)) continue
    if (name === '__proto__') Object.defineProperty(scope, name, { value: data[name], enumerable: true, writable: true, configurable: true })
    else scope[name] = data[name]
  }
  scope.deviceName = device
  scope.attributeKey = key
  scope.attributeValue = value
  return scope
}

/**
 * Compiles an `attributeUpdates` rule once into `(device, key, value, data) => OutboundRequest`.
 * Variables: `deviceName`, `attributeKey`, `attributeValue`, plus every key of the update's data
 * (`${firmware}`); the three built-ins win over a data key of the same name.
 *
 * @throws {ConverterError} `CONVERTER_CONFIG` when a template of the rule does not compile (the TemplateError is the cause).
 * The returned builder throws {@link DownlinkBuildError} (`URL_RELATIVE`, `DOWNLINK_TEMPLATE_MISSING`, `URL_INVALID`).
 */
export function createAttributeUpdateRequestBuilder(rule: OutboundRequestConfig, options?: DownlinkBuilderOptions): AttributeUpdateRequestBuilder {
  const template = compile(rule, options)
  const names = template.names
  return (device, key, value, data) => template.render(attributeUpdateScope(device, key, value, data, names))
}

/** The variables an RPC template sees. */
export function rpcScope(device: string, rpc: RpcCall): Record<string, unknown> {
  return {
    deviceName: device,
    methodName: rpc.method,
    requestId: rpc.id,
    restId: rpc.id,
    id: rpc.id,
    method: rpc.method,
    params: rpc.params,
  }
}

/**
 * Compiles a `serverSideRpc` rule once into `(device, { id, method, params }) => OutboundRequest`.
 * Variables: `deviceName`, `methodName`, `requestId`, `restId`, `id`, `method`, `params`
 * (`${params}`, `${params.a.b}`).
 *
 * @throws {ConverterError} `CONVERTER_CONFIG` when a template of the rule does not compile (the TemplateError is the cause).
 * The returned builder throws {@link DownlinkBuildError} (`URL_RELATIVE`, `DOWNLINK_TEMPLATE_MISSING`, `URL_INVALID`).
 */
export function createRpcRequestBuilder(rule: OutboundRequestConfig, options?: DownlinkBuilderOptions): RpcRequestBuilder {
  const template = compile(rule, options)
  return (device, rpc) => template.render(rpcScope(device, rpc))
}

/**
 * Compiles a rule once into a builder for whole events (attribute-update or RPC, by `event.type`),
 * the shape custom converters share.
 *
 * @throws {ConverterError} `CONVERTER_CONFIG` when a template of the rule does not compile.
 */
export function createDownlinkBuilder(rule: OutboundRequestConfig, options?: DownlinkBuilderOptions): (event: DownlinkEvent) => OutboundRequest {
  const template = compile(rule, options)
  return (event) =>
    event.type === 'rpc'
      ? template.render(rpcScope(event.device, event.data))
      : template.render(attributeUpdateScope(event.device, event.key, event.value, event.data, template.names))
}
