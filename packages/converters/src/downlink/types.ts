import type { HttpMethod, OutboundRequestConfig } from '@restgate/config'
import type { Logger } from '../logger.ts'

/** One HTTP request to an external API, built from a downlink rule and a ThingsBoard event. */
export interface OutboundRequest {
  /** Absolute `http:` / `https:` URL. */
  url: string
  method: HttpMethod
  /** Header names lower-cased. Security headers (basic auth) are added by the dispatcher. */
  headers: Record<string, string>
  /** Absent: no body. */
  body?: string | Uint8Array
}

/** An RPC as ThingsBoard sends it in `v1/gateway/rpc` (`data` part). */
export interface RpcCall {
  id: number | string
  method: string
  params?: unknown
}

/** One attribute of a shared-attribute update (`v1/gateway/attributes`), as a custom converter sees it. */
export interface AttributeUpdateDownlinkEvent {
  type: 'attributeUpdate'
  device: string
  /** The attribute this request is for. */
  key: string
  value: unknown
  /** The whole update (every key), as ThingsBoard sent it. */
  data: Record<string, unknown>
}

/** A server-side RPC, as a custom converter sees it. */
export interface RpcDownlinkEvent {
  type: 'rpc'
  device: string
  data: RpcCall
}

export type DownlinkEvent = AttributeUpdateDownlinkEvent | RpcDownlinkEvent

/** `(device, key, value, data) => request`: one request for one key of an attribute update. */
export type AttributeUpdateRequestBuilder = (device: string, key: string, value: unknown, data: Record<string, unknown>) => OutboundRequest

/** `(device, rpc) => request`. */
export type RpcRequestBuilder = (device: string, rpc: RpcCall) => OutboundRequest

/** A builder that takes a whole event; what `loadDownlinkBuilder` returns (custom converters may be async). */
export type DownlinkBuilder<E extends DownlinkEvent = DownlinkEvent> = (event: E) => OutboundRequest | Promise<OutboundRequest>

export interface DownlinkBuilderOptions {
  /** Receives a warning when a body placeholder has no value. @default silent debug/info, warn/error to console.error */
  logger?: Logger
}

/** What a custom downlink converter returns: validated and normalised to an {@link OutboundRequest}. */
export interface DownlinkConverterOutput {
  /** Absolute `http:` / `https:` URL. */
  url: string
  /** Any case; @default the rule's `httpMethod`. */
  method?: string
  /** Merged over the rule's `httpHeaders` (names in any case). */
  headers?: Record<string, string | number | boolean>
  /**
   * A string or bytes are sent as they are; any other JSON value is JSON-encoded (and
   * `content-type: application/json` is set when no content type is given). null/undefined: no body.
   */
  body?: unknown
}

export interface DownlinkConverter {
  convert(event: DownlinkEvent, rule: OutboundRequestConfig): DownlinkConverterOutput | Promise<DownlinkConverterOutput>
}

export interface DownlinkConverterContext {
  /** Folder of the config file. */
  configDir: string
  logger: Logger
  /** The rule's `extensionConfig` (free-form options). */
  extensionConfig: Record<string, unknown>
}

export type DownlinkConverterFactory = (rule: OutboundRequestConfig, ctx: DownlinkConverterContext) => DownlinkConverter | Promise<DownlinkConverter>
