/** Normalises the HTTP server settings from `server` (new format) and/or top-level host/port/SSL/security (old). */
import { serverDefaults } from './defaults.ts'
import { pickSpelling, section, type NormaliseContext } from './_context.ts'
import { joinPath } from './_describe.ts'
import { resolveConfigPath } from './_paths.ts'
import { boolOf, isObject, numberOf, portOf, stringOf, type RawObject } from './_raw.ts'
import type { ServerConfig } from './model.ts'
import { OLD_SERVER_KEYS } from './schema/rest-inbound.ts'
import { restKeys } from './schema/rest-schema.ts'

interface Located {
  value: unknown
  path: string
}

/** Each server key from `server` when given there, else from the top level (old format); conflicts are warned. */
function locate(ctx: NormaliseContext, root: RawObject, server: RawObject | undefined): Record<string, Located | undefined> {
  const out: Record<string, Located | undefined> = {}
  for (const key of OLD_SERVER_KEYS) {
    const fromServer = server?.[key]
    const fromRoot = root[key]
    if (fromServer !== undefined) {
      out[key] = { value: fromServer, path: joinPath('server', key) }
      if (fromRoot !== undefined) ctx.collector.warn(key, `also given as "server.${key}"; using "server.${key}"`)
    } else if (fromRoot !== undefined) {
      out[key] = { value: fromRoot, path: key }
    }
  }
  return out
}

function tlsFiles(ctx: NormaliseContext, located: Located | undefined, ssl: boolean): Pick<ServerConfig, 'cert' | 'key' | 'clientCa'> {
  if (located === undefined) return {}
  const raw = section(ctx, located.value, located.path, restKeys.serverTls)
  if (raw === undefined) return {}
  const file = (value: unknown): string | undefined => {
    const text = stringOf(value)
    return text === undefined || text === '' ? undefined : resolveConfigPath(ctx.configDir, text)
  }
  const cert = file(raw.cert)
  const key = file(raw.key)
  const ca = pickSpelling(ctx, raw, located.path, ['clientCa', 'caCert'])
  const clientCa = ca === undefined || !ssl ? undefined : file(ca.value)
  if (ssl) {
    if (raw.cert !== undefined && raw.key === undefined)
      ctx.collector.expected(joinPath(located.path, 'key'), 'a private key file path (cert is given)', undefined)
    if (raw.key !== undefined && raw.cert === undefined)
      ctx.collector.expected(joinPath(located.path, 'cert'), 'a certificate file path (key is given)', undefined)
  } else if (ca !== undefined) {
    ctx.collector.warn(joinPath(located.path, ca.key), 'ignored: SSL is false (client certificates need HTTPS)')
  }
  return {
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(clientCa === undefined ? {} : { clientCa }),
  }
}

const BODY_LIMIT_KEYS = ['maxJsonDepth', 'maxArrayElements', 'maxJsonKeys'] as const

function bodyLimits(server: unknown): Partial<Pick<ServerConfig, (typeof BODY_LIMIT_KEYS)[number]>> {
  const out: Partial<Pick<ServerConfig, (typeof BODY_LIMIT_KEYS)[number]>> = {}
  if (!isObject(server)) return out
  for (const key of BODY_LIMIT_KEYS) {
    const value = numberOf(server[key])
    if (value !== undefined) out[key] = value
  }
  return out
}

/** The normalised `ServerConfig` of a rest.json. */
export function readServer(ctx: NormaliseContext, root: RawObject): ServerConfig {
  const server = section(ctx, root.server, 'server', restKeys.server)
  const at = locate(ctx, root, server)
  const ssl = boolOf(at.SSL?.value) ?? serverDefaults.ssl
  const host = stringOf(at.host?.value)
  return {
    host: host === undefined || host === '' ? serverDefaults.host : host,
    port: portOf(at.port?.value) ?? serverDefaults.port,
    ssl,
    ...tlsFiles(ctx, at.security, ssl),
    bodyLimit: (isObject(server) ? numberOf(server.bodyLimit) : undefined) ?? serverDefaults.bodyLimit,
    // the body limits are only set when given (their defaults are ingest's: serverDefaults lists them)
    ...bodyLimits(server),
  }
}
