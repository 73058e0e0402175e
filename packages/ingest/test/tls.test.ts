/** HTTPS: a generated certificate under dataDir (checked, reused), given files, and mTLS. */
import { X509Certificate } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createIngestServer, IngestError, type IngestServer } from '../src/index.ts'
import { mapping, recordingSink, restConfig, tempDir } from './helpers.ts'

/** DER of the signature algorithm OID sha256WithRSAEncryption (1.2.840.113549.1.1.11). */
const SHA256_WITH_RSA = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b])

const anon = () => mapping({ endpoint: '/t', methods: ['POST'], deviceName: 'TLS', timeseries: [{ key: 'v', value: '${v}' }] })

function post(url: string, options: RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${url}/t`, { method: 'POST', agent: false, timeout: 10_000, ...options }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.end('{"v":1}')
  })
}

let temp: { dir: string; cleanup: () => Promise<void> }
const servers: IngestServer[] = []

beforeAll(async () => {
  temp = await tempDir('restgate-ingest-tls-')
})

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  await temp.cleanup()
})

function start(server: Parameters<typeof restConfig>[0], dataDir?: string): Promise<{ url: string; port: number }> {
  const s = createIngestServer({ config: restConfig({ mapping: [anon()], configDir: temp.dir, ...server }), sink: recordingSink(), dataDir })
  servers.push(s)
  return s.listen()
}

describe('generated self-signed certificate', () => {
  test('is written under <dataDir>/tls, has the right SANs, RSA 2048, SHA-256, and verifies', async () => {
    const dataDir = join(temp.dir, 'data-a')
    const { url } = await start({ server: { ssl: true } }, dataDir)
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const certFile = join(dataDir, 'tls', '127.0.0.1-cert.pem')
    const keyFile = join(dataDir, 'tls', '127.0.0.1-key.pem')
    const pem = await readFile(certFile)
    expect(((await stat(keyFile)).mode & 0o777).toString(8)).toBe('600')
    const cert = new X509Certificate(pem)
    expect(cert.checkHost('localhost', { subject: 'never' })).toBe('localhost')
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(cert.checkIP('::1')).toBe('::1')
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1')
    expect(cert.subjectAltName).not.toContain('DNS:127.0.0.1')
    expect(cert.publicKey.asymmetricKeyType).toBe('rsa')
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048)
    expect(cert.raw.includes(SHA256_WITH_RSA)).toBe(true)
    // a client that trusts exactly this certificate verifies it (chain and IP SAN)
    expect((await post(url, { ca: pem })).status).toBe(200)
    // ...and one that does not is refused
    await expect(post(url, {})).rejects.toThrow()
  })

  test('is reused on the next start while valid', async () => {
    const dataDir = join(temp.dir, 'data-b')
    await start({ server: { ssl: true } }, dataDir)
    const certFile = join(dataDir, 'tls', '127.0.0.1-cert.pem')
    const first = new X509Certificate(await readFile(certFile)).fingerprint256
    const firstMtime = (await stat(certFile)).mtimeMs
    const { url } = await start({ server: { ssl: true } }, dataDir)
    expect(new X509Certificate(await readFile(certFile)).fingerprint256).toBe(first)
    expect((await stat(certFile)).mtimeMs).toBe(firstMtime)
    expect((await post(url, { ca: await readFile(certFile) })).status).toBe(200)
  })

  test('is replaced when it no longer fits (here: a certificate for another host)', async () => {
    const dataDir = join(temp.dir, 'data-c')
    const other = await generate([{ name: 'commonName', value: 'elsewhere' }], { keySize: 2048, algorithm: 'sha256' })
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(dataDir, 'tls'), { recursive: true })
    await writeFile(join(dataDir, 'tls', '127.0.0.1-cert.pem'), other.cert)
    await writeFile(join(dataDir, 'tls', '127.0.0.1-key.pem'), other.private)
    const { url } = await start({ server: { ssl: true } }, dataDir)
    const pem = await readFile(join(dataDir, 'tls', '127.0.0.1-cert.pem'))
    expect(new X509Certificate(pem).fingerprint256).not.toBe(new X509Certificate(other.cert).fingerprint256)
    expect((await post(url, { ca: pem })).status).toBe(200)
  })
})

describe('certificate files from the config', () => {
  test('are used', async () => {
    const pair = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    })
    const cert = join(temp.dir, 'given-cert.pem')
    const key = join(temp.dir, 'given-key.pem')
    await writeFile(cert, pair.cert)
    await writeFile(key, pair.private)
    const { url } = await start({ server: { ssl: true, cert, key } })
    expect((await post(url, { ca: pair.cert })).status).toBe(200)
  })

  test('an unreadable file is a clear error naming it', async () => {
    const missing = join(temp.dir, 'no-such-cert.pem')
    const error = await start({ server: { ssl: true, cert: missing, key: missing } }).catch((e: unknown) => e)
    expect(IngestError.is(error)).toBe(true)
    expect((error as IngestError).code).toBe('TLS_FILE')
    expect((error as IngestError).message).toContain(missing)
  })

  test('a file that is not PEM is a clear error', async () => {
    const junk = join(temp.dir, 'junk.pem')
    await writeFile(junk, 'not a certificate')
    const error = await start({ server: { ssl: true, cert: junk, key: junk } }).catch((e: unknown) => e)
    expect((error as IngestError).code).toBe('TLS_FILE')
    expect((error as IngestError).message).toContain(junk)
  })
})

describe('client certificates (mTLS)', () => {
  let url: string
  let serverCa: string
  let client: { cert: string; key: string }
  let stranger: { cert: string; key: string }

  beforeAll(async () => {
    const caExtensions = [
      { name: 'basicConstraints' as const, cA: true },
      { name: 'keyUsage' as const, keyCertSign: true, cRLSign: true, digitalSignature: true },
    ]
    const ca = await generate([{ name: 'commonName', value: 'Test Device CA' }], { keySize: 2048, algorithm: 'sha256', extensions: caExtensions })
    const otherCa = await generate([{ name: 'commonName', value: 'Other CA' }], { keySize: 2048, algorithm: 'sha256', extensions: caExtensions })
    const leaf = [{ name: 'extKeyUsage' as const, clientAuth: true }]
    const signed = await generate([{ name: 'commonName', value: 'device-1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: leaf,
      ca: { key: ca.private, cert: ca.cert },
    })
    const foreign = await generate([{ name: 'commonName', value: 'device-x' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: leaf,
      ca: { key: otherCa.private, cert: otherCa.cert },
    })
    client = { cert: signed.cert, key: signed.private }
    stranger = { cert: foreign.cert, key: foreign.private }
    const caFile = join(temp.dir, 'client-ca.pem')
    await writeFile(caFile, ca.cert)
    const dataDir = join(temp.dir, 'data-mtls')
    ;({ url } = await start({ server: { ssl: true, clientCa: caFile } }, dataDir))
    serverCa = await readFile(join(dataDir, 'tls', '127.0.0.1-cert.pem'), 'utf8')
  })

  test('a client certificate signed by the CA is accepted', async () => {
    expect((await post(url, { ca: serverCa, ...client })).status).toBe(200)
  })

  test('no client certificate, or one from another CA, is refused', async () => {
    await expect(post(url, { ca: serverCa })).rejects.toThrow()
    await expect(post(url, { ca: serverCa, ...stranger })).rejects.toThrow()
  })

  test('a client CA without TLS is a config error', async () => {
    const error = await start({ server: { ssl: false, clientCa: join(temp.dir, 'client-ca.pem') } }).catch((e: unknown) => e)
    expect((error as IngestError).code).toBe('CONFIG_INVALID')
  })
})
