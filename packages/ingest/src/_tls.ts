/**
 * TLS material for the HTTPS server: the configured cert/key files, or a self-signed certificate
 * generated into `<dataDir>/tls/` (never the working directory) and reused while it is valid for
 * the host. The client CA (mTLS) is read here too.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import type { ServerConfig } from '@restgate/config'
import { IngestError } from './errors.ts'
import type { Logger } from './logger.ts'

export interface TlsOptions {
  cert: string | Buffer
  key: string | Buffer
  ca?: Buffer
  requestCert?: boolean
  rejectUnauthorized?: boolean
}

/** How long before expiry a generated certificate is replaced. */
const RENEW_BEFORE_MS = 24 * 3600 * 1000
const VALID_DAYS = 365

async function readConfigFile(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new IngestError('TLS_FILE', `cannot read the ${what} "${file}" (${reason})`, { cause: error })
  }
}

/** File-name-safe form of a host name or address. */
function fileStem(host: string): string {
  return host.replace(/[^A-Za-z0-9.-]/g, '_') || 'server'
}

/** The subject alternative names a generated certificate must carry for `host`. */
export function expectedAltNames(host: string): Array<{ type: 2; value: string } | { type: 7; ip: string }> {
  const names: Array<{ type: 2; value: string } | { type: 7; ip: string }> = [{ type: 2, value: 'localhost' }]
  const ips = new Set(['127.0.0.1', '::1'])
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (isIP(bare)) ips.add(bare)
  else if (bare !== '' && bare.toLowerCase() !== 'localhost') names.push({ type: 2, value: bare })
  for (const ip of ips) names.push({ type: 7, ip })
  return names
}

/** True when the PEM pair is usable for `host` for at least another day. */
function stillValid(certPem: Buffer, keyPem: Buffer, host: string): boolean {
  try {
    const cert = new X509Certificate(certPem)
    if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE_MS) return false
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return false
    for (const name of expectedAltNames(host)) {
      if (name.type === 2 ? cert.checkHost(name.value, { subject: 'never' }) === undefined : cert.checkIP(name.ip) === undefined) {
        return false
      }
    }
    return true
  } catch {
    return false
  }
}

async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  await writeFile(tmp, data, { mode })
  await rename(tmp, file)
}

async function readIfPresent(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file)
  } catch {
    return undefined
  }
}

async function createCertificate(dir: string, host: string, logger: Logger): Promise<{ cert: Buffer; key: Buffer }> {
  const stem = fileStem(host)
  const certFile = join(dir, `${stem}-cert.pem`)
  const keyFile = join(dir, `${stem}-key.pem`)
  const [oldCert, oldKey] = await Promise.all([readIfPresent(certFile), readIfPresent(keyFile)])
  if (oldCert && oldKey && stillValid(oldCert, oldKey, host)) {
    logger.debug({ file: certFile }, 'reusing the generated TLS certificate')
    return { cert: oldCert, key: oldKey }
  }
  try {
    const notBeforeDate = new Date(Date.now() - 60_000)
    // loaded only when a certificate is generated: most gateways never need it (and it is large)
    const { generate } = await import('selfsigned')
    const pems = await generate(
      [
        { name: 'commonName', value: host || 'localhost' },
        { name: 'organizationName', value: 'restgate' },
      ],
      {
        keyType: 'rsa',
        keySize: 2048,
        algorithm: 'sha256',
        notBeforeDate,
        notAfterDate: new Date(notBeforeDate.getTime() + VALID_DAYS * 24 * 3600 * 1000),
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: expectedAltNames(host) },
        ],
      },
    )
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeAtomic(keyFile, pems.private, 0o600)
    await writeAtomic(certFile, pems.cert, 0o644)
    logger.info({ file: certFile }, 'generated a self-signed TLS certificate')
    return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private) }
  } catch (error) {
    throw new IngestError('TLS_GENERATE', `cannot generate the self-signed certificate in "${dir}": ${(error as Error).message}`, {
      cause: error,
    })
  }
}

/** One generation at a time per file, so connectors starting together share the result. */
const pending = new Map<string, Promise<{ cert: Buffer; key: Buffer }>>()

/** The self-signed pair for `host` under `<dataDir>/tls/`, created or renewed when needed. */
export function selfSignedCertificate(dataDir: string, host: string, logger: Logger): Promise<{ cert: Buffer; key: Buffer }> {
  const dir = join(dataDir, 'tls')
  const id = join(dir, fileStem(host))
  let job = pending.get(id)
  if (!job) {
    job = createCertificate(dir, host, logger).finally(() => pending.delete(id))
    pending.set(id, job)
  }
  return job
}

/** TLS options for `server`, or `undefined` for plain HTTP. */
export async function loadTls(server: ServerConfig, dataDir: string, logger: Logger): Promise<TlsOptions | undefined> {
  if (!server.ssl) {
    if (server.clientCa) {
      throw new IngestError('CONFIG_INVALID', 'server.clientCa: client certificates need TLS; set server.SSL to true')
    }
    return undefined
  }
  if ((server.cert === undefined) !== (server.key === undefined)) {
    const missing = server.cert === undefined ? 'cert' : 'key'
    throw new IngestError('CONFIG_INVALID', `server.security.${missing}: TLS needs both a certificate and a key file (or neither, for a generated one)`)
  }
  const pair =
    server.cert !== undefined && server.key !== undefined
      ? { cert: await readConfigFile(server.cert, 'TLS certificate'), key: await readConfigFile(server.key, 'TLS key') }
      : await selfSignedCertificate(dataDir, server.host, logger)
  const options: TlsOptions = { cert: pair.cert, key: pair.key }
  if (server.clientCa) {
    options.ca = await readConfigFile(server.clientCa, 'client CA')
    options.requestCert = true
    options.rejectUnauthorized = true
  }
  return options
}
