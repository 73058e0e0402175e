/** Outbound security: basic auth, secrets out of logs, redirects, TLS verification, client certificates. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { TLSSocket } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attributeUpdateRule, dispatcherFor, rpcRule, sendJson, sendText, startHttpsTarget, startTarget } from './_helpers.ts'

describe('basic auth', () => {
  it('sends Authorization: Basic and never logs the password or the header value', async () => {
    const target = await startTarget((req, res) => (req.url === '/denied' ? sendText(res, 401, 'bad credentials') : sendJson(res, 200, { ok: true })))
    const security = { type: 'basic' as const, username: 'admin', password: 's3cr3t-pw' }
    const { dispatcher, replies, logger } = dispatcherFor({
      attributeUpdates: [attributeUpdateRule({ requestUrlExpression: `${target.url}/ok`, security, valueExpression: '${attributeValue}' })],
      serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/denied`, security, responseTimeout: 1 })],
    })
    await dispatcher.onAttributeUpdate({ device: 'd', data: { k: 'v' } })
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    const expected = `Basic ${Buffer.from('admin:s3cr3t-pw').toString('base64')}`
    expect(target.received.map((r) => r.headers.authorization)).toEqual([expected, expected])
    expect(replies).toEqual([{ device: 'd', id: 1, data: { error: 'Unauthorized: bad credentials', code: 401 } }])
    expect(logger.lines.length).toBeGreaterThan(0)
    expect(logger.text()).not.toContain('s3cr3t-pw')
    expect(logger.text()).not.toContain(expected.slice(6))
  })

  it('credentials in the URL become a Basic header; the URL sent and logged has none', async () => {
    const target = await startTarget((_req, res) => sendText(res, 500, 'down'))
    const url = target.url.replace('http://', 'http://bob:pa%20ss@')
    const { dispatcher, logger } = dispatcherFor({ serverSideRpc: [rpcRule({ requestUrlExpression: `${url}/x?token=abc`, tries: 1, responseTimeout: 1 })] })
    const report = await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    expect(target.received[0]?.headers.authorization).toBe(`Basic ${Buffer.from('bob:pa ss').toString('base64')}`)
    expect(target.received[0]?.url).toBe('/x?token=abc')
    expect(report.requests[0]?.target).toBe(`${target.url}/x`)
    expect(logger.text()).not.toContain('pa%20ss')
    expect(logger.text()).not.toContain('token=abc')
  })
})

describe('redirects', () => {
  it('allowRedirects true follows; false answers the 3xx as an error', async () => {
    const target = await startTarget((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { location: '/new' })
        res.end()
      } else sendJson(res, 200, { at: req.url })
    })
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [
        rpcRule({ methodFilter: 'follow', requestUrlExpression: `${target.url}/old`, allowRedirects: true, responseTimeout: 1 }),
        rpcRule({ methodFilter: 'stay', requestUrlExpression: `${target.url}/old`, allowRedirects: false, responseTimeout: 1 }, 1),
      ],
    })
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'follow' } })
    await dispatcher.onRpc({ device: 'd', data: { id: 2, method: 'stay' } })
    expect(replies).toEqual([
      { device: 'd', id: 1, data: { result: { at: '/new' } } },
      { device: 'd', id: 2, data: { error: '302 Found: redirect to /new not followed (allowRedirects is false)', code: 302 } },
    ])
    expect(target.received.map((r) => r.url)).toEqual(['/old', '/new', '/old'])
  })
})

describe('TLS', () => {
  let dir: string
  let server: { cert: string; key: string; clientCert: string; clientKey: string }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restgate-tls-'))
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
      clientCertificate: { cn: 'restgate', algorithm: 'sha256' },
    })
    server = { cert: pems.cert, key: pems.private, clientCert: pems.clientcert ?? '', clientKey: pems.clientprivate ?? '' }
    await writeFile(join(dir, 'ca.pem'), pems.cert)
    await writeFile(join(dir, 'client.pem'), server.clientCert)
    await writeFile(join(dir, 'client.key'), server.clientKey)
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('a self-signed target: SSLVerify false works; SSLVerify true is a TLS error (502, not retried)', async () => {
    const target = await startHttpsTarget({ cert: server.cert, key: server.key }, (_req, res) => sendJson(res, 200, { secure: true }))
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [
        rpcRule({ methodFilter: 'lax', requestUrlExpression: `${target.url}/`, sslVerify: false, responseTimeout: 2 }),
        rpcRule({ methodFilter: 'strict', requestUrlExpression: `${target.url}/`, sslVerify: true, tries: 3, responseTimeout: 2 }, 1),
      ],
    })
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'lax' } })
    const strict = await dispatcher.onRpc({ device: 'd', data: { id: 2, method: 'strict' } })
    expect(replies[0]).toEqual({ device: 'd', id: 1, data: { result: { secure: true } } })
    expect(replies[1]?.data).toMatchObject({
      code: 502,
      error: expect.stringMatching(
        new RegExp(`^TLS certificate of 127\\.0\\.0\\.1:${target.port} rejected \\(\\w+\\); trust it with security\\.ca or set SSLVerify false$`),
      ),
    })
    expect(strict.requests[0]).toMatchObject({ attempts: 1, failure: { kind: 'tls' } })
    expect(target.received).toHaveLength(1)
  })

  it('security cert: client certificate presented and the CA trusted (mTLS, SSLVerify true)', async () => {
    const target = await startHttpsTarget(
      { cert: server.cert, key: server.key, ca: server.cert, requestCert: true, rejectUnauthorized: true },
      (_req, res, raw) => {
        const peer = (raw.socket as TLSSocket).getPeerCertificate()
        sendJson(res, 200, { client: peer.subject?.CN })
      },
    )
    const cert = { type: 'cert' as const, cert: 'client.pem', key: 'client.key', ca: join(dir, 'ca.pem') }
    const { dispatcher, replies } = dispatcherFor({
      configDir: dir,
      serverSideRpc: [
        rpcRule({ methodFilter: 'mtls', requestUrlExpression: `${target.url}/`, sslVerify: true, security: cert, responseTimeout: 2 }),
        rpcRule({ methodFilter: 'anon', requestUrlExpression: `${target.url}/`, sslVerify: false, tries: 1, responseTimeout: 2 }, 1),
      ],
    })
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'mtls' } })
    await dispatcher.onRpc({ device: 'd', data: { id: 2, method: 'anon' } })
    expect(replies[0]).toEqual({ device: 'd', id: 1, data: { result: { client: 'restgate' } } })
    expect(replies[1]?.data).toMatchObject({ code: 502 })
    expect(target.received).toHaveLength(1)
  })

  it("unreadable TLS files: logged at ready() with the config path; that rule's calls fail, others work", async () => {
    const target = await startTarget((_req, res) => sendJson(res, 200, {}))
    const { dispatcher, logger } = dispatcherFor({
      configDir: dir,
      attributeUpdates: [
        attributeUpdateRule({
          deviceNameFilter: 'CERT.*',
          requestUrlExpression: `${target.url}/`,
          security: { type: 'cert', cert: 'missing.pem', key: 'missing.key' },
        }),
        attributeUpdateRule({ deviceNameFilter: 'SN.*', requestUrlExpression: `${target.url}/` }, 1),
      ],
    })
    await dispatcher.ready()
    const message = `attributeUpdates[0].security.cert: cannot read "${join(dir, 'missing.pem')}" (ENOENT)`
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([`${message}; requests of attributeUpdates[0] will fail`])
    const failed = await dispatcher.onAttributeUpdate({ device: 'CERT-1', data: { k: 1 } })
    expect(failed.requests[0]).toMatchObject({ ok: false, failure: { kind: 'build', message, code: 500 } })
    const ok = await dispatcher.onAttributeUpdate({ device: 'SN-1', data: { k: 1 } })
    expect(ok.requests[0]).toMatchObject({ ok: true })
    expect(target.received).toHaveLength(1)
  })
})
