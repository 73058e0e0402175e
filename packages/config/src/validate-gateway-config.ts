/** `validateGatewayConfig`: tb_gateway.json (the original's shape) + `TB_GW_*` env overrides → the normalised model. */
import { resolve } from 'node:path'
import { IssueCollector } from './_collector.ts'
import { section, type NormaliseContext } from './_context.ts'
import { applyGatewayEnv, type Env } from './_gateway-env.ts'
import { GATEWAY_ENV_VARIABLES } from './defaults.ts'
import { readConnectors, readStorage } from './_gateway-storage.ts'
import { readThingsboard } from './_gateway-thingsboard.ts'
import { readAdmin, readStatistics } from './_gateway-admin.ts'
import { readFetchAccess } from './_downlink.ts'
import { isObject } from './_raw.ts'
import { addZodIssues } from './_zod-issues.ts'
import type { GatewayConfig, ValidationResult } from './model.ts'
import { gatewayConfigSchema, gatewayKeys } from './schema/gateway-schema.ts'

export interface ValidateGatewayConfigOptions {
  /**
   * Folder of tb_gateway.json: connector configs, certificates and storage folders resolve against it.
   * @default process.cwd()
   */
  configDir?: string
  /**
   * Environment for the `TB_GW_*` overrides (TB_GW_HOST, TB_GW_PORT, TB_GW_SECURITY_TYPE,
   * TB_GW_ACCESS_TOKEN, TB_GW_CA_CERT, TB_GW_PRIVATE_KEY, TB_GW_CERT, TB_GW_CLIENT_ID,
   * TB_GW_USERNAME, TB_GW_PASSWORD). Pass `{}` to ignore the environment.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>
}

/** Maps a config path to the env variable that set it, when one did (so issues name the variable). */
function sourceMapper(sources: Map<string, string>): (path: string) => string {
  const fromEnv = [...sources.keys()].some((key) => key.startsWith('thingsboard.security.'))
  const byTarget = new Map(Object.entries(GATEWAY_ENV_VARIABLES).map(([variable, target]) => [`thingsboard.${target}`, `env.${variable}`]))
  return (path) => sources.get(path) ?? (fromEnv && path.startsWith('thingsboard.security.') ? (byTarget.get(path) ?? path) : path)
}

/**
 * Validates a parsed tb_gateway.json with the `TB_GW_*` environment overrides applied on top, and
 * returns the normalised gateway config (every default filled, paths resolved) or every issue found.
 * Keys restgate does not implement are warned about once each; non-`rest` connectors are skipped.
 */
export function validateGatewayConfig(json: unknown, options: ValidateGatewayConfigOptions = {}): ValidationResult<GatewayConfig> {
  const collector = new IssueCollector()
  const ctx: NormaliseContext = { collector, configDir: resolve(options.configDir ?? process.cwd()) }
  const env: Env = options.env ?? process.env
  const applied = isObject(json) ? applyGatewayEnv(collector, json, env) : { json, sources: new Map<string, string>() }
  const parsed = gatewayConfigSchema.safeParse(applied.json, { reportInput: true })
  if (!parsed.success) addZodIssues(collector, '', parsed.error.issues)
  const root = section(ctx, applied.json, '', gatewayKeys.root)
  if (root === undefined) return { ok: false, issues: collector.issues, warnings: collector.warnings }
  const thingsboard = readThingsboard(ctx, root.thingsboard, sourceMapper(applied.sources))
  const storage = readStorage(ctx, root.storage)
  const connectors = readConnectors(ctx, root.connectors)
  const statistics = readStatistics(ctx, isObject(root.thingsboard) ? root.thingsboard.statistics : undefined)
  const admin = readAdmin(ctx, root.admin)
  const restRpc = readFetchAccess(ctx, root.restRpc, 'restRpc', gatewayKeys.fetchAccess, 'restRpc (tb_gateway.json)')
  if (connectors.length === 0) collector.warn('connectors', 'no "rest" connector: the gateway serves no endpoint')
  if (!collector.ok || thingsboard === undefined) return { ok: false, issues: collector.issues, warnings: collector.warnings }
  const extra = { ...(statistics ? { statistics } : {}), ...(admin ? { admin } : {}) }
  return { ok: true, config: { thingsboard, storage, connectors, restRpc, configDir: ctx.configDir, ...extra }, issues: [], warnings: collector.warnings }
}
