/** Normalises tb_gateway.json's `thingsboard.statistics` and restgate's own `admin` section. */
import { adminDefaults, statisticsDefaults } from './defaults.ts'
import { section, type NormaliseContext } from './_context.ts'
import { boolOf, numberOf, portOf, stringOf } from './_raw.ts'
import type { AdminConfig, StatisticsConfig } from './model.ts'
import { gatewayKeys } from './schema/gateway-schema.ts'

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|localhost|::1|\[::1\])$/i

/** The statistics section with defaults; undefined when absent (statistics off). */
export function readStatistics(ctx: NormaliseContext, value: unknown): StatisticsConfig | undefined {
  const raw = section(ctx, value, 'thingsboard.statistics', gatewayKeys.statistics)
  if (raw === undefined) return undefined
  const d = statisticsDefaults
  return {
    enable: boolOf(raw.enable) ?? d.enable,
    statsSendPeriodInSeconds: numberOf(raw.statsSendPeriodInSeconds) ?? d.statsSendPeriodInSeconds,
  }
}

/**
 * The admin section with defaults; undefined when absent (admin endpoint off). The endpoint has
 * no authentication, so a host other than a loopback address needs `allowRemote: true`.
 */
export function readAdmin(ctx: NormaliseContext, value: unknown): AdminConfig | undefined {
  const raw = section(ctx, value, 'admin', gatewayKeys.admin)
  if (raw === undefined) return undefined
  const d = adminDefaults
  const admin: AdminConfig = {
    enable: boolOf(raw.enable) ?? d.enable,
    host: stringOf(raw.host) ?? d.host,
    port: portOf(raw.port) ?? d.port,
    allowRemote: boolOf(raw.allowRemote) ?? d.allowRemote,
    readyGraceSeconds: numberOf(raw.readyGraceSeconds) ?? d.readyGraceSeconds,
  }
  if (admin.enable && !admin.allowRemote && !LOOPBACK.test(admin.host)) {
    ctx.collector.expected(
      'admin.host',
      'a loopback address (127.0.0.1, ::1, localhost): the admin endpoint has no authentication; set "allowRemote": true to serve it on another address',
      admin.host,
    )
  }
  return admin
}
