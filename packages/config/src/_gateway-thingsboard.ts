/** Normalises tb_gateway.json's `thingsboard` section (MQTT connection to ThingsBoard). */
import { thingsboardDefaults } from './defaults.ts'
import { section, type NormaliseContext } from './_context.ts'
import { joinPath } from './_describe.ts'
import { resolveConfigPath } from './_paths.ts'
import { boolOf, numberOf, portOf, stringOf, type RawObject } from './_raw.ts'
import type { TbSecurity, ThingsboardConfig } from './model.ts'
import { gatewayKeys, TB_SECURITY_TYPES } from './schema/gateway-schema.ts'

type TbSecurityType = TbSecurity['type']

/** Where each key was given: the file path, or the env variable that set it. */
export type SourceOf = (path: string) => string

function inferType(raw: RawObject): TbSecurityType | undefined {
  if (raw.cert !== undefined || raw.privateKey !== undefined) return 'x509Certificate'
  if (raw.accessToken !== undefined) return raw.caCert === undefined ? 'accessToken' : 'tlsAccessToken'
  if (raw.username !== undefined || raw.clientId !== undefined || raw.password !== undefined) return 'usernamePassword'
  return undefined
}

function readSecurity(ctx: NormaliseContext, value: unknown, path: string, at: SourceOf): TbSecurity | undefined {
  const raw = section(ctx, value, path, gatewayKeys.security)
  if (raw === undefined) {
    if (value === undefined) ctx.collector.expectedText(path, 'MQTT credentials: accessToken, username/password or an x509 certificate', 'nothing')
    return undefined
  }
  const given = stringOf(raw.type)?.toLowerCase()
  const type = TB_SECURITY_TYPES.find((t) => t.toLowerCase() === given) as TbSecurityType | undefined
  const resolved = type ?? (raw.type === undefined ? inferType(raw) : undefined)
  if (resolved === undefined) {
    if (raw.type === undefined) ctx.collector.expectedText(path, 'MQTT credentials: accessToken, username/password or an x509 certificate', 'none of them')
    return undefined
  }
  const file = (key: string): string | undefined => {
    const text = stringOf(raw[key])
    return text === undefined || text === '' ? undefined : resolveConfigPath(ctx.configDir, text)
  }
  const require = (key: string, what: string): string | undefined => {
    if (raw[key] === undefined) ctx.collector.expected(at(joinPath(path, key)), `${what} (security type is ${resolved})`, undefined)
    return stringOf(raw[key])
  }
  const caCert = file('caCert')
  const ca = caCert === undefined ? {} : { caCert }
  switch (resolved) {
    case 'accessToken':
    case 'tlsAccessToken':
      return { type: resolved, accessToken: require('accessToken', 'a non-empty access token') ?? '', ...ca }
    case 'usernamePassword': {
      if (raw.username === undefined && raw.clientId === undefined) {
        ctx.collector.expectedText(at(path), '"username" and/or "clientId" (security type is usernamePassword)', 'neither')
      }
      const clientId = stringOf(raw.clientId)
      const username = stringOf(raw.username)
      const password = stringOf(raw.password)
      return {
        type: resolved,
        ...(clientId === undefined ? {} : { clientId }),
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...ca,
      }
    }
    case 'x509Certificate':
      require('cert', 'a certificate file path')
      require('privateKey', 'a private key file path')
      return { type: resolved, cert: file('cert') ?? '', privateKey: file('privateKey') ?? '', ...ca }
  }
}

/** The normalised `thingsboard` section; undefined when it is missing or not an object. */
export function readThingsboard(ctx: NormaliseContext, value: unknown, at: SourceOf): ThingsboardConfig | undefined {
  const raw = section(ctx, value, 'thingsboard', gatewayKeys.thingsboard)
  if (raw === undefined) return undefined
  const d = thingsboardDefaults
  const security = readSecurity(ctx, raw.security, 'thingsboard.security', at)
  const secRaw = section(ctx, raw.security, 'thingsboard.security', undefined)
  const port = portOf(raw.port) ?? d.port
  const tls =
    (boolOf(raw.tls) ?? boolOf(secRaw?.tls) ?? false) ||
    port === 8883 ||
    security?.type === 'tlsAccessToken' ||
    security?.type === 'x509Certificate' ||
    security?.caCert !== undefined
  const qos = numberOf(raw.qos)
  return {
    host: stringOf(raw.host) ?? '',
    port,
    qos: qos === 0 || qos === 1 ? qos : d.qos,
    keepAlive: numberOf(raw.keep_alive) ?? d.keepAlive,
    security: security ?? { type: 'accessToken', accessToken: '' },
    tls,
    insecure: boolOf(raw.insecure) ?? boolOf(secRaw?.insecure) ?? d.insecure,
    maxPayloadSizeBytes: numberOf(raw.maxPayloadSizeBytes) ?? d.maxPayloadSizeBytes,
    minPackSendDelayMS: numberOf(raw.minPackSendDelayMS) ?? d.minPackSendDelayMS,
    reannounceAfterMs: numberOf(raw.reannounceAfterMs) ?? d.reannounceAfterMs,
  }
}
