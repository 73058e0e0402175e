/** The original gateway's `TB_GW_*` environment overrides of tb_gateway.json's `thingsboard` section. */
import { GATEWAY_ENV_VARIABLES } from './defaults.ts'
import type { IssueCollector } from './_collector.ts'
import { isObject, portOf, type RawObject } from './_raw.ts'
import { TB_SECURITY_TYPES } from './schema/gateway-schema.ts'

export type Env = Readonly<Record<string, string | undefined>>

/**
 * Returns the root JSON with the env overrides applied to a copy of `thingsboard` (the user's object
 * is never changed). As in the original: empty variables are ignored, and when any security variable
 * is set the file's `security` is replaced by the one built from the variables.
 * Also returns which config paths came from which variable (for issue paths).
 */
export function applyGatewayEnv(collector: IssueCollector, json: RawObject, env: Env): { json: RawObject; sources: Map<string, string> } {
  const sources = new Map<string, string>()
  // A `thingsboard` of the wrong type stays as it is, so that its issue is reported.
  if (json.thingsboard !== undefined && !isObject(json.thingsboard)) return { json, sources }
  const tb: RawObject = isObject(json.thingsboard) ? { ...json.thingsboard } : {}
  const security: RawObject = {}
  let applied = false
  for (const [variable, target] of Object.entries(GATEWAY_ENV_VARIABLES)) {
    const value = env[variable]
    if (value === undefined || value === '') continue
    let setting: unknown = value
    if (variable === 'TB_GW_PORT') {
      setting = portOf(value)
      if (setting === undefined) {
        collector.expected(`env.${variable}`, 'a port number 0-65535', value)
        continue
      }
    }
    if (variable === 'TB_GW_SECURITY_TYPE') {
      setting = TB_SECURITY_TYPES.find((type) => type.toLowerCase() === value.toLowerCase())
      if (setting === undefined) {
        collector.expected(`env.${variable}`, `one of ${TB_SECURITY_TYPES.join(', ')}`, value)
        continue
      }
    }
    if (target.startsWith('security.')) security[target.slice('security.'.length)] = setting
    else tb[target] = setting
    sources.set(`thingsboard.${target}`, `env.${variable}`)
    applied = true
  }
  if (Object.keys(security).length > 0) tb.security = security
  if (!applied) return { json, sources }
  return { json: { ...json, thingsboard: tb }, sources }
}
