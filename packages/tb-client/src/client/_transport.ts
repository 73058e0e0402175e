/**
 * Socket and credentials for one connection attempt. TLS verifies the server chain always (against
 * `caCert` when given, else the system roots); `insecure` only skips the hostname check.
 */
import { readFile } from 'node:fs/promises'
import { isIP, connect as netConnect } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import type { Duplex } from 'node:stream'
import { TbClientError } from '../errors.ts'
import type { ResolvedOptions } from './options.ts'

export interface Transport {
  tls: boolean
  clientId?: string
  username?: string
  password?: string
  createStream(): Duplex
}

export function usesTls(o: ResolvedOptions): boolean {
  const s = o.security
  return o.tls || o.port === 8883 || s.type === 'tlsAccessToken' || s.type === 'x509Certificate' || s.caCert !== undefined
}

async function readPem(path: string, configPath: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new TbClientError('CONNECT_FAILED', `${configPath}: cannot read ${path} (${code})`, { cause: error })
  }
}

/** Reads certificate files (on every attempt, so renewed files are picked up) and builds the transport. */
export async function createTransport(o: ResolvedOptions): Promise<Transport> {
  const s = o.security
  const tls = usesTls(o)
  const transport: Omit<Transport, 'createStream'> = { tls }
  if (s.type === 'accessToken' || s.type === 'tlsAccessToken') transport.username = s.accessToken
  if (s.type === 'usernamePassword') {
    if (s.clientId !== undefined && s.clientId !== '') transport.clientId = s.clientId
    if (s.username !== undefined) transport.username = s.username
    if (s.password !== undefined) transport.password = s.password
  }
  if (!tls) {
    return {
      ...transport,
      createStream: () => {
        const socket = netConnect({ host: o.host, port: o.port, noDelay: true })
        socket.setNoDelay(true)
        return socket
      },
    }
  }
  const tlsOptions: ConnectionOptions = {
    host: o.host,
    port: o.port,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    noDelay: true,
  } as ConnectionOptions
  if (s.caCert !== undefined) tlsOptions.ca = await readPem(s.caCert, 'security.caCert')
  if (s.type === 'x509Certificate') {
    tlsOptions.cert = await readPem(s.cert, 'security.cert')
    tlsOptions.key = await readPem(s.privateKey, 'security.privateKey')
  }
  if (o.insecure) tlsOptions.checkServerIdentity = () => undefined
  // SNI only for names, never for IP addresses
  if (isIP(o.host) === 0) tlsOptions.servername = o.host
  return {
    ...transport,
    createStream: () => {
      const socket = tlsConnect(tlsOptions)
      socket.setNoDelay(true)
      return socket
    },
  }
}

const TLS_HINTS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'server certificate not trusted; set security.caCert to the CA that signed it',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'server certificate is self-signed; set security.caCert to it',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'server certificate not trusted; set security.caCert to the CA that signed it',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'server certificate not trusted; set security.caCert to the CA that signed it',
  CERT_HAS_EXPIRED: 'server certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'server certificate does not name this host (thingsboard.security.insecure skips this check)',
}

/** One line describing why a connection failed, without secrets. */
export function describeConnectError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  if (typeof code === 'number') {
    const hint = code === 4 || code === 5 || code === 134 || code === 135 ? ' (check the access token / credentials)' : ''
    return `${error.message.replace(/^Connection refused: /, 'ThingsBoard refused the connection: ')} [CONNACK ${code}]${hint}`
  }
  if (typeof code === 'string' && TLS_HINTS[code] !== undefined) return `TLS: ${TLS_HINTS[code]} (${code})`
  if (typeof code === 'string') return `${error.message}`
  return error.message
}
