import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { TbSecurity } from '../src/client/options.ts'
import { waitUntil } from './_broker.ts'
import { broker, client, connectedOnce } from './_helpers.ts'

describe('credentials and reconnect backoff', () => {
  it('sends the access token as username and connects', async () => {
    const b = await broker({ authenticate: (username, password) => username === 'GOOD' && password === undefined })
    const c = client(b, { security: { type: 'accessToken', accessToken: 'GOOD' } })
    await connectedOnce(c)
    expect(b.attempts.map((a) => [a.username, a.accepted])).toEqual([['GOOD', true]])
  })

  it('sends clientId, username and password for usernamePassword', async () => {
    let seen: unknown[] = []
    const b = await broker({
      authenticate: (username, password, clientId) => {
        seen = [clientId, username, password]
        return true
      },
    })
    const c = client(b, { security: { type: 'usernamePassword', clientId: 'gw-1', username: 'u', password: 'p' } })
    await connectedOnce(c)
    expect(seen).toEqual(['gw-1', 'u', 'p'])
  })

  it('a refused connection backs off with growing delays, logs one line per attempt, never busy-loops', async () => {
    const b = await broker({ authenticate: () => false })
    const c = client(b, { security: { type: 'accessToken', accessToken: 'BAD' }, reconnect: { initialMs: 40, maxMs: 320 } })
    const errors: Error[] = []
    c.on('error', (e) => errors.push(e))
    // Waits for attempts (events), not for a time window: a loaded machine makes fewer attempts, never more.
    await vi.waitFor(() => expect(b.attempts.length).toBeGreaterThanOrEqual(6), { timeout: 15_000, interval: 20 })
    const attempts = b.attempts.length
    // Delays 40, 80, 160, 320, 320, ... ms with 50-100 % jitter: a timer never fires early, so every gap
    // is at least half its step's delay (a busy loop would show gaps of ~0 ms).
    const gaps = b.attempts.slice(1).map((a, i) => a.at - (b.attempts[i] as { at: number }).at)
    gaps.slice(0, 5).forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(Math.min(320, 40 * 2 ** i) / 2 - 2))
    const lines = c.log.find('warn', 'cannot connect to ThingsBoard')
    expect(lines.length).toBeGreaterThanOrEqual(attempts - 1)
    expect(lines.length).toBeLessThanOrEqual(attempts)
    expect(lines[0]?.msg).toMatch(/refused the connection: Bad username or password \[CONNACK 4\].*retrying in \d+ ms/)
    expect(lines.some((l) => l.msg.includes('BAD'))).toBe(false)
    expect(errors.length).toBeGreaterThanOrEqual(1)
    expect(errors[0]).toMatchObject({ code: 'CONNECT_FAILED' })
    expect(c.stats()).toMatchObject({ connected: false, lastError: expect.stringContaining('CONNACK 4') })
    expect(c.stats().connectAttempts).toBeGreaterThanOrEqual(attempts)
  })

  it('reconnects after the broker comes back and resets nothing it should keep', async () => {
    const b = await broker()
    const c = client(b)
    let connects = 0
    c.on('connect', () => connects++)
    await connectedOnce(c)
    await b.stop()
    await new Promise((resolve) => setTimeout(resolve, 150))
    await b.restart()
    await waitUntil(() => connects === 2, 'the second connect')
    expect(c.stats().connected).toBe(true)
  })
})

describe('TLS', () => {
  let dir: string
  const files: Record<string, string> = {}
  let serverKey: string
  let serverCert: string
  let otherNameKey: string
  let otherNameCert: string
  let caCert: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restgate-tls-'))
    const ca = await generate([{ name: 'commonName', value: 'restgate test CA' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true },
      ],
    })
    const wrongCa = await generate([{ name: 'commonName', value: 'some other CA' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true },
      ],
    })
    const signed = (cn: string, altNames: Array<{ type: 2 | 7; value?: string; ip?: string }>, forClient: boolean) =>
      generate([{ name: 'commonName', value: cn }], {
        keySize: 2048,
        algorithm: 'sha256',
        ca: { key: ca.private, cert: ca.cert },
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: !forClient, clientAuth: forClient },
          ...(altNames.length > 0 ? [{ name: 'subjectAltName' as const, altNames }] : []),
        ],
      })
    const server = await signed(
      'localhost',
      [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
      ],
      false,
    )
    const other = await signed('tb.example.com', [{ type: 2, value: 'tb.example.com' }], false)
    const gatewayCert = await signed('gateway', [], true)
    serverKey = server.private
    serverCert = server.cert
    otherNameKey = other.private
    otherNameCert = other.cert
    caCert = ca.cert
    const write = async (name: string, content: string) => {
      files[name] = join(dir, name)
      await writeFile(files[name] as string, content)
    }
    await write('ca.pem', ca.cert)
    await write('wrong-ca.pem', wrongCa.cert)
    await write('gw.pem', gatewayCert.cert)
    await write('gw.key', gatewayCert.private)
  }, 60_000)

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const token = (caFile: string): TbSecurity => ({ type: 'tlsAccessToken', accessToken: 'T', caCert: files[caFile] as string })

  it('connects when the server certificate chains to caCert', async () => {
    const b = await broker({ tls: { key: serverKey, cert: serverCert } })
    const c = client(b, { security: token('ca.pem') })
    await connectedOnce(c)
    await c.send([{ deviceName: 'TLS-1', telemetry: [{ ts: 1, values: { v: 1 } }] }])
    expect(await c.flush(5000)).toBe(true)
    expect(b.on('v1/gateway/telemetry')).toHaveLength(1)
  })

  it('refuses a server whose certificate does not chain to caCert, with a clear log line', async () => {
    const b = await broker({ tls: { key: serverKey, cert: serverCert } })
    const c = client(b, { security: token('wrong-ca.pem'), reconnect: { initialMs: 1000, maxMs: 1000 } })
    await waitUntil(() => c.log.find('warn', 'cannot connect').length === 1, 'the TLS failure')
    expect(c.log.find('warn', 'cannot connect')[0]?.msg).toMatch(/TLS: server certificate not trusted.*caCert/)
    expect(c.stats().connected).toBe(false)
    expect(b.attempts).toHaveLength(0)
  })

  it('verifies the hostname unless insecure is set (the chain is still verified)', async () => {
    const b = await broker({ tls: { key: otherNameKey, cert: otherNameCert } })
    const strict = client(b, { security: token('ca.pem'), reconnect: { initialMs: 1000, maxMs: 1000 } })
    await waitUntil(() => strict.log.find('warn', 'cannot connect').length === 1, 'the hostname failure')
    expect(strict.log.find('warn', 'cannot connect')[0]?.msg).toContain('does not name this host')
    const insecure = client(b, { security: token('ca.pem'), insecure: true })
    await connectedOnce(insecure)
    const wrongChain = client(b, { security: token('wrong-ca.pem'), insecure: true, reconnect: { initialMs: 1000, maxMs: 1000 } })
    await waitUntil(() => wrongChain.log.find('warn', 'cannot connect').length === 1, 'the chain failure')
    expect(wrongChain.stats().connected).toBe(false)
  })

  it('presents the x509 client certificate to a server that requires one', async () => {
    const b = await broker({ tls: { key: serverKey, cert: serverCert, ca: caCert, requestCert: true } })
    const c = client(b, {
      security: { type: 'x509Certificate', cert: files['gw.pem'] as string, privateKey: files['gw.key'] as string, caCert: files['ca.pem'] as string },
    })
    await connectedOnce(c)
    expect(b.attempts[0]?.username).toBeUndefined()
    const anonymous = client(b, { security: token('ca.pem'), reconnect: { initialMs: 1000, maxMs: 1000 } })
    await waitUntil(() => anonymous.log.find('warn', 'cannot connect').length === 1, 'the refused anonymous TLS client')
    expect(anonymous.stats().connected).toBe(false)
  })

  it('a missing certificate file is reported with its config path', async () => {
    const b = await broker({ tls: { key: serverKey, cert: serverCert } })
    const c = client(b, {
      security: { type: 'tlsAccessToken', accessToken: 'T', caCert: join(dir, 'missing.pem') },
      reconnect: { initialMs: 1000, maxMs: 1000 },
    })
    await waitUntil(() => c.log.find('warn', 'cannot connect').length === 1, 'the failure')
    expect(c.log.find('warn', 'cannot connect')[0]?.msg).toContain(`security.caCert: cannot read ${join(dir, 'missing.pem')} (ENOENT)`)
  })
})
