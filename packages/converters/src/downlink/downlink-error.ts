import { ConverterError } from '../errors.ts'

/** Why a downlink request could not be built (the `reason` of a {@link DownlinkBuildError}). */
export type DownlinkFailureReason =
  /** A placeholder of `requestUrlExpression` has no value (`placeholders` names them). */
  | 'DOWNLINK_TEMPLATE_MISSING'
  /** `requestUrlExpression` (or what it rendered to) has no scheme and host. */
  | 'URL_RELATIVE'
  /** The rendered URL is not a valid `http:` / `https:` URL. */
  | 'URL_INVALID'
  /** The params of a reserved `get` / `set` RPC are not usable. */
  | 'RESERVED_RPC_PARAMS'
  /** A custom downlink converter returned something that is not `{ url, method?, headers?, body? }`. */
  | 'DOWNLINK_OUTPUT'
  /** A custom downlink converter threw (the original error is the `cause`). */
  | 'DOWNLINK_CONVERTER_FAILED'
  /** A header value (configured, rendered from `${...}` or returned by a converter) holds CR, LF or NUL: never sent, never retried. */
  | 'HEADER_INVALID'

export interface DownlinkBuildErrorOptions {
  /** Config path of the rule part that failed, e.g. `serverSideRpc[0].requestUrlExpression`. */
  path?: string
  /** For `DOWNLINK_TEMPLATE_MISSING`: the placeholders without a value, as written (`${params.zone}`). */
  placeholders?: readonly string[]
  cause?: unknown
}

/**
 * A downlink request could not be built. A {@link ConverterError} with code `DOWNLINK_BUILD`;
 * `reason` says why.
 */
export class DownlinkBuildError extends ConverterError {
  readonly reason: DownlinkFailureReason
  /** Placeholders without a value (`DOWNLINK_TEMPLATE_MISSING`), e.g. `['${params.zone}']`. */
  readonly placeholders: readonly string[]

  constructor(reason: DownlinkFailureReason, message: string, options: DownlinkBuildErrorOptions = {}) {
    super('DOWNLINK_BUILD', message, {
      ...(options.path === undefined ? {} : { path: options.path }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    })
    this.reason = reason
    this.placeholders = Object.freeze([...(options.placeholders ?? [])])
  }
}

/** The `reason` of a downlink build error (also across package copies), else undefined. */
export function downlinkFailureOf(e: unknown): DownlinkFailureReason | undefined {
  if (!ConverterError.is(e) || e.code !== 'DOWNLINK_BUILD') return undefined
  const reason = (e as { reason?: unknown }).reason
  return typeof reason === 'string' ? (reason as DownlinkFailureReason) : undefined
}
