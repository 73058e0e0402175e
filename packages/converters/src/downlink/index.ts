export { attributeUpdateScope, createAttributeUpdateRequestBuilder, createDownlinkBuilder, createRpcRequestBuilder, rpcScope } from './builders.ts'
export { isJsonContentType } from './content-type.ts'
export { defineDownlinkConverter, isDownlinkConverterFactory, pickDownlinkExport, toOutboundRequest } from './custom-downlink.ts'
export { DownlinkBuildError, downlinkFailureOf } from './downlink-error.ts'
export type { DownlinkBuildErrorOptions, DownlinkFailureReason } from './downlink-error.ts'
export { loadDownlinkBuilder, loadDownlinkBuilderDefaults } from './load-downlink-builder.ts'
export type { LoadDownlinkBuilderOptions } from './load-downlink-builder.ts'
export { isReservedRpcMethod, reservedRpcDefaults, reservedRpcMethodOf, toReservedRpcRequestConfig } from './reserved-rpc.ts'
export type { ReservedRpcDefaults, ReservedRpcMethod } from './reserved-rpc.ts'
export type {
  AttributeUpdateDownlinkEvent,
  AttributeUpdateRequestBuilder,
  DownlinkBuilder,
  DownlinkBuilderOptions,
  DownlinkConverter,
  DownlinkConverterContext,
  DownlinkConverterFactory,
  DownlinkConverterOutput,
  DownlinkEvent,
  OutboundRequest,
  RpcCall,
  RpcDownlinkEvent,
  RpcRequestBuilder,
} from './types.ts'
