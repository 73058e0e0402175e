/** Normalises the downlink bounds (`downlink`) and the fetch switches (`reservedRpc` in rest.json, `restRpc` in tb_gateway.json). */
import { section, type NormaliseContext } from './_context.ts'
import { joinPath } from './_describe.ts'
import { arrayOf, boolOf, numberOf, stringOf } from './_raw.ts'
import type { KeySpec } from './_keys.ts'
import type { DownlinkConfig, FetchAccess } from './model.ts'
import { downlinkDefaults } from './defaults.ts'

/** `{ enabled, allow }` (defaults: enabled, any URL). Allow entries with `://` must be absolute http(s) URLs. */
export function readFetchAccess(ctx: NormaliseContext, value: unknown, path: string, spec: KeySpec, configKey: string): FetchAccess {
  const raw = section(ctx, value, path, spec) ?? {}
  const allow: string[] = []
  arrayOf(raw.allow).forEach((item, index) => {
    const entry = stringOf(item)?.trim()
    if (entry === undefined || entry === '') return
    if (entry.includes('://') && !/^https?:\/\/[^/?#\s]/i.test(entry)) {
      ctx.collector.expectedText(joinPath(joinPath(path, 'allow'), index), 'a host, host:port or http(s) URL prefix', JSON.stringify(entry))
      return
    }
    allow.push(entry)
  })
  return { enabled: boolOf(raw.enabled) ?? true, allow, configKey }
}

export function readDownlink(ctx: NormaliseContext, value: unknown, spec: KeySpec): DownlinkConfig {
  const raw = section(ctx, value, 'downlink', spec) ?? {}
  const d = downlinkDefaults
  return {
    maxConcurrencyPerOrigin: numberOf(raw.maxConcurrencyPerOrigin) ?? d.maxConcurrencyPerOrigin,
    maxActiveMessages: numberOf(raw.maxActiveMessages) ?? d.maxActiveMessages,
    maxQueuedMessages: numberOf(raw.maxQueuedMessages) ?? d.maxQueuedMessages,
    maxQueuedBytes: numberOf(raw.maxQueuedBytes) ?? d.maxQueuedBytes,
    maxRequests: numberOf(raw.maxRequests) ?? d.maxRequests,
  }
}
