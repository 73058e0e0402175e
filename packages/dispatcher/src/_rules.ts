/** Rules prepared once at `ready()`: request builder + transport (agent, auth header, tries, timeouts). */
import type { OutboundRequestConfig } from '@restgate/config'
import { loadDownlinkBuilder, type DownlinkBuilder } from '@restgate/converters'
import { createConnectionPool, loadTlsMaterial, type ConnectionPool, type TlsMaterial } from './_agents.ts'
import type { Transport } from './_send.ts'
import { DispatcherError } from './errors.ts'
import type { Logger } from './logger.ts'

export interface PreparedRule {
  config: OutboundRequestConfig
  build: DownlinkBuilder
  transport: Transport
  /** Reserved get/set: why the built URL may not be fetched (allowlist), or undefined. */
  guard?: (url: string) => string | undefined
}

/** Seconds per try when a rule gives none that is usable. */
const FALLBACK_TIMEOUT_SECONDS = 0.5

function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`
}

/** The transport of a rule: the shared connections, with the rule's TLS setup. */
export function transportFor(rule: OutboundRequestConfig, agents: ConnectionPool, tls?: TlsMaterial, tlsKey = ''): Transport {
  const seconds = Number.isFinite(rule.timeout) && rule.timeout > 0 ? rule.timeout : FALLBACK_TIMEOUT_SECONDS
  return {
    connections: agents,
    setup: { sslVerify: rule.sslVerify, tls, key: tlsKey },
    authorization: rule.security.type === 'basic' ? basicAuthorization(rule.security.username, rule.security.password) : undefined,
    timeoutMs: Math.max(1, Math.round(seconds * 1000)),
    timeoutSeconds: seconds,
    tries: Number.isFinite(rule.tries) ? Math.max(1, Math.floor(rule.tries)) : 1,
    allowRedirects: rule.allowRedirects,
  }
}

export interface RuleLoader {
  agents: ConnectionPool
  prepare(rule: OutboundRequestConfig): Promise<PreparedRule>
}

/** Prepares rules; TLS files are read once per distinct set of paths. */
export function createRuleLoader(configDir: string, logger: Logger, connectionsPerOrigin: number): RuleLoader {
  const agents = createConnectionPool(connectionsPerOrigin)
  const tlsByFiles = new Map<string, Promise<TlsMaterial | undefined>>()

  async function tlsOf(rule: OutboundRequestConfig): Promise<{ tls: TlsMaterial | undefined; key: string }> {
    const security = rule.security
    if (security.type !== 'cert') return { tls: undefined, key: '' }
    const key = JSON.stringify([security.cert, security.key ?? null, security.ca ?? null])
    let pending = tlsByFiles.get(key)
    if (pending === undefined) {
      pending = loadTlsMaterial(security, configDir, rule.path)
      tlsByFiles.set(key, pending)
    }
    return { tls: await pending, key }
  }

  return {
    agents,
    async prepare(rule: OutboundRequestConfig): Promise<PreparedRule> {
      const [tlsResult, build] = await Promise.all([
        tlsOf(rule).catch((e: unknown) => e as Error),
        loadDownlinkBuilder(rule, { configDir, logger }).catch((e: unknown) => {
          const reason = e instanceof Error ? e.message : String(e)
          throw new DispatcherError('DISPATCHER_RULE', `${rule.path}: cannot prepare the rule: ${reason}`, { path: rule.path, cause: e })
        }),
      ])
      if (tlsResult instanceof Error) {
        // like a relative URL: the rule stays, every call fails with the reason (start-up goes on)
        logger.error({ path: rule.path }, `${tlsResult.message}; requests of ${rule.path} will fail`)
        const failing: DownlinkBuilder = () => {
          throw tlsResult
        }
        return { config: rule, build: failing, transport: transportFor(rule, agents) }
      }
      return { config: rule, build, transport: transportFor(rule, agents, tlsResult.tls, tlsResult.key) }
    },
  }
}
