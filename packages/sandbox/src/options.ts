import { stderrLogger, type Logger } from '@restgate/core'
import { SandboxError } from './errors.ts'

/** The logger the sandbox accepts: pino's method shape; its default drops debug/info and writes warn/error to stderr. */
export type { Logger }

/** Rate limits as ThingsBoard reports them: `"cap:seconds,cap:seconds"`, `""` = none. */
export interface RateLimits {
  messages: string
  telemetryMessages: string
  telemetryDataPoints: string
}

/** Body of the `getSessionLimits` RPC reply. */
export interface SessionLimits {
  maxPayloadSize: number
  maxInflightMessages: number
  rateLimits: RateLimits
  gatewayRateLimits: RateLimits
}

/** What `sessionLimits` accepts: any part of {@link SessionLimits}, the rest taken from the defaults. */
export interface SessionLimitsInput {
  maxPayloadSize?: number
  maxInflightMessages?: number
  rateLimits?: Partial<RateLimits>
  gatewayRateLimits?: Partial<RateLimits>
}

/** Shape of an attribute-request answer: by the number of keys asked (`requested`), or, as ThingsBoard's own
 * code does it, by the number of attributes found (`found`: one found → `value`, even when several were asked). */
export type AttributeResponseShape = 'requested' | 'found'

/** Behaviour that can be changed while the sandbox runs (`sandbox.configure`). */
export interface SandboxBehaviour {
  /** Answer `v1/gateway/attributes/request`. `false` = stay silent (to test gateway timeouts). @default true */
  answerAttributeRequests?: boolean
  /** Delay before each attribute-request answer, in ms. @default 0 */
  attributeResponseDelayMs?: number
  /** @default 'requested' */
  attributeResponseShape?: AttributeResponseShape
  /** Answer the `getSessionLimits` RPC with these limits; `false` = never answer it.
   * @default { maxPayloadSize: 65536, maxInflightMessages: 100, rateLimits/gatewayRateLimits all "" (none) } */
  sessionLimits?: SessionLimitsInput | false
}

export interface SandboxOptions extends SandboxBehaviour {
  /** Interface both listeners bind to. @default '127.0.0.1' */
  host?: string
  /** MQTT port; 0 = ephemeral (read it back from `start()`). @default 1883 */
  port?: number
  /** When set, CONNECT must carry one of these as username, else CONNACK "not authorized". @default undefined (anyone) */
  accessToken?: string | string[]
  /** Port of the HTTP view; 0 = ephemeral; `false` = no HTTP view. @default false */
  httpPort?: number | false
  /** Recorded messages kept (oldest dropped first). @default 10000 */
  maxMessages?: number
  /** Telemetry entries kept per device (oldest dropped first; duplicates are detected among these). @default 10000 */
  maxTelemetryPerDevice?: number
  /** Default timeout of `sendRpc`, in ms. @default 10000 */
  rpcTimeoutMs?: number
  /** Downlink (shared-attribute update, RPC) for a device that no connected gateway owns (never connected, or its
   * gateway's session ended): `'all'` = publish to every subscriber (a plain broker's behaviour), `'none'` = record
   * it and send it to nobody (ThingsBoard: no session, no delivery). @default 'all' */
  unownedDownlink?: 'all' | 'none'
  /** @default warn/error to console.error, debug/info silent */
  logger?: Logger
  /** Receives one human-readable line per message (for a CLI). @default undefined */
  log?: (line: string) => void
  /**
   * Runs one request through a gateway's mapping without sending anything (`restgate try`): the
   * page's "try a request" panel calls it. Without it the panel says it is unavailable.
   * @default undefined
   */
  try?: SandboxTry
}

/** A request for the try panel, as the page's form gives it. */
export interface SandboxTryRequest {
  method?: string
  /** Path, optionally with `?query`. */
  endpoint?: string
  query?: string
  headers: Record<string, string>
  body?: string
}

/** What the try panel shows: `text` as `restgate try` prints it, `report` as `restgate try --json` does. */
export interface SandboxTryResult {
  text: string
  report: unknown
}

export type SandboxTry = (request: SandboxTryRequest) => Promise<SandboxTryResult>

export const sessionLimitsDefaults: SessionLimits = {
  maxPayloadSize: 65536,
  maxInflightMessages: 100,
  rateLimits: { messages: '', telemetryMessages: '', telemetryDataPoints: '' },
  gatewayRateLimits: { messages: '', telemetryMessages: '', telemetryDataPoints: '' },
}

export const sandboxDefaults: {
  host: string
  port: number
  httpPort: number | false
  maxMessages: number
  rpcTimeoutMs: number
  answerAttributeRequests: boolean
  attributeResponseDelayMs: number
  attributeResponseShape: AttributeResponseShape
} = {
  host: '127.0.0.1',
  port: 1883,
  httpPort: false,
  maxMessages: 10_000,
  rpcTimeoutMs: 10_000,
  answerAttributeRequests: true,
  attributeResponseDelayMs: 0,
  attributeResponseShape: 'requested',
}

export const defaultLogger: Logger = stderrLogger('sandbox')

/** Behaviour with every default filled. */
export interface ResolvedBehaviour {
  answerAttributeRequests: boolean
  attributeResponseDelayMs: number
  attributeResponseShape: AttributeResponseShape
  sessionLimits: SessionLimits | false
}

export interface ResolvedOptions extends ResolvedBehaviour {
  host: string
  port: number
  accessTokens: ReadonlySet<string> | undefined
  httpPort: number | false
  maxMessages: number
  rpcTimeoutMs: number
  unownedDownlink: 'all' | 'none'
  logger: Logger
  log: ((line: string) => void) | undefined
}

function invalid(name: string, why: string): SandboxError {
  return new SandboxError('INVALID_OPTION', `sandbox option ${name}: ${why}`)
}

function checkPort(name: string, port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(name, `expected an integer port 0-65535, got ${String(port)}`)
  return port
}

function checkNonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw invalid(name, `expected a number >= 0, got ${String(value)}`)
  return value
}

function resolveSessionLimits(input: SessionLimitsInput | false | undefined): SessionLimits | false {
  if (input === false) return false
  const d = sessionLimitsDefaults
  return {
    maxPayloadSize: input?.maxPayloadSize ?? d.maxPayloadSize,
    maxInflightMessages: input?.maxInflightMessages ?? d.maxInflightMessages,
    rateLimits: { ...d.rateLimits, ...dropUndefined(input?.rateLimits) },
    gatewayRateLimits: { ...d.gatewayRateLimits, ...dropUndefined(input?.gatewayRateLimits) },
  }
}

function dropUndefined<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {}
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Fills behaviour defaults over `undefined` only; `base` supplies current values for `configure`. */
export function resolveBehaviour(input: SandboxBehaviour, base?: ResolvedBehaviour): ResolvedBehaviour {
  const from = base ?? { ...sandboxDefaults, sessionLimits: resolveSessionLimits(undefined) }
  const delay = input.attributeResponseDelayMs
  const shape = input.attributeResponseShape
  if (shape !== undefined && shape !== 'requested' && shape !== 'found') {
    throw invalid('attributeResponseShape', `expected 'requested' or 'found', got ${JSON.stringify(shape)}`)
  }
  return {
    answerAttributeRequests: input.answerAttributeRequests ?? from.answerAttributeRequests,
    attributeResponseDelayMs: delay === undefined ? from.attributeResponseDelayMs : checkNonNegative('attributeResponseDelayMs', delay),
    attributeResponseShape: shape ?? from.attributeResponseShape,
    sessionLimits: input.sessionLimits === undefined ? from.sessionLimits : resolveSessionLimits(input.sessionLimits),
  }
}

export function resolveOptions(options: SandboxOptions = {}): ResolvedOptions {
  const tokens = options.accessToken
  let accessTokens: Set<string> | undefined
  if (tokens !== undefined) {
    const list = Array.isArray(tokens) ? tokens : [tokens]
    if (list.length === 0 || list.some((t) => typeof t !== 'string' || t.length === 0)) {
      throw invalid('accessToken', 'expected a non-empty string or a non-empty list of non-empty strings')
    }
    accessTokens = new Set(list)
  }
  const httpPort = options.httpPort ?? sandboxDefaults.httpPort
  const maxMessages = options.maxMessages ?? sandboxDefaults.maxMessages
  if (!Number.isInteger(maxMessages) || maxMessages < 1) throw invalid('maxMessages', `expected an integer >= 1, got ${String(maxMessages)}`)
  const unownedDownlink = options.unownedDownlink ?? 'all'
  if (unownedDownlink !== 'all' && unownedDownlink !== 'none') {
    throw invalid('unownedDownlink', `expected 'all' or 'none', got ${JSON.stringify(unownedDownlink)}`)
  }
  const host = options.host ?? sandboxDefaults.host
  if (typeof host !== 'string' || host.length === 0) throw invalid('host', 'expected a non-empty string')
  return {
    ...resolveBehaviour(options),
    host,
    port: checkPort('port', options.port ?? sandboxDefaults.port),
    accessTokens,
    httpPort: httpPort === false ? false : checkPort('httpPort', httpPort),
    maxMessages,
    rpcTimeoutMs: checkNonNegative('rpcTimeoutMs', options.rpcTimeoutMs ?? sandboxDefaults.rpcTimeoutMs),
    unownedDownlink,
    logger: options.logger ?? defaultLogger,
    log: options.log,
  }
}
