/** The switch for RPC-driven fetches (reserved get/set, rest_get/rest_set): disabled, or limited to hosts / URL prefixes. */
import type { FetchAccess } from '@restgate/config'

/** Returns why `url` may not be fetched (naming the config key), or undefined when it may. */
export type FetchGuard = (url: string, method: string) => string | undefined

export function createFetchGuard(access: FetchAccess | undefined): FetchGuard | undefined {
  if (access === undefined || (access.enabled && access.allow.length === 0)) return undefined
  const key = access.configKey
  if (!access.enabled) return (_url, method) => `RPC method "${method}" is disabled by ${key.replace(' (', '.enabled (')}`
  const prefixes: string[] = []
  const hosts = new Set<string>()
  for (const entry of access.allow) {
    if (entry.includes('://')) {
      try {
        prefixes.push(new URL(entry).href)
      } catch {
        // refused by the config validator; never matches
      }
    } else hosts.add(entry.toLowerCase())
  }
  return (raw, method) => {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      return `RPC method "${method}": not a valid URL`
    }
    url.username = ''
    url.password = ''
    if (hosts.has(url.host) || hosts.has(url.hostname)) return undefined
    const href = url.href
    if (prefixes.some((p) => href.startsWith(p))) return undefined
    return `RPC method "${method}": ${url.origin}${url.pathname} is not allowed by ${key.replace(' (', '.allow (')}`
  }
}
