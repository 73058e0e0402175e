/**
 * The README's "Behind a reverse proxy" snippets are valid configs: the nginx one passes `nginx -t`,
 * the HAProxy one `haproxy -c` (each wrapped in the minimal surrounding config, with a throwaway
 * certificate in place of the example paths). Each check is skipped, with the reason, where that
 * proxy is not installed (Debian: apt-get install nginx-light haproxy).
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import selfsigned from 'selfsigned'
import { describe, expect, it, onTestFinished } from 'vitest'
import { repoRoot } from './_harness.ts'

const run = promisify(execFile)
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')

function installed(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const noNginx = installed('nginx', ['-v']) ? undefined : 'nginx is not installed'
const noHaproxy = installed('haproxy', ['-v']) ? undefined : 'haproxy is not installed'
for (const why of [noNginx, noHaproxy]) if (why) console.warn(`reverse-proxy-docs: skipped: ${why}`)

function snippet(lang: string): string {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(readme)
  if (!m) throw new Error(`README has no ${lang} snippet`)
  return m[1]!
}

async function tempCerts(): Promise<{ dir: string; cert: string; key: string; both: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'restgate-proxy-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'gateway.example.com' }], { keySize: 2048 })
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  const both = join(dir, 'both.pem')
  writeFileSync(cert, pems.cert)
  writeFileSync(key, pems.private)
  writeFileSync(both, pems.cert.trimEnd() + '\n' + pems.private.trimEnd() + '\n')
  return { dir, cert, key, both }
}

describe('README: behind a reverse proxy', () => {
  it('has both snippets, each passing restgate the Authorization header and setting a body limit', () => {
    const nginx = snippet('nginx')
    const haproxy = snippet('haproxy')
    expect(nginx).toMatch(/client_max_body_size 1m;/)
    expect(nginx).toMatch(/X-Forwarded-For \$proxy_add_x_forwarded_for/)
    expect(nginx).toMatch(/proxy_pass http:\/\/127\.0\.0\.1:5000;/)
    expect(haproxy).toMatch(/option forwardfor/)
    expect(haproxy).toMatch(/req\.body_size gt 1048576/)
    // neither rewrites or strips Authorization (basic auth is checked by restgate)
    expect(nginx + haproxy).not.toMatch(/authorization/i)
  })

  it.skipIf(noNginx !== undefined)('the nginx snippet passes `nginx -t`', async () => {
    const c = await tempCerts()
    const body = snippet('nginx').replace('/etc/ssl/certs/gateway.pem', c.cert).replace('/etc/ssl/private/gateway.key', c.key)
    const conf = join(c.dir, 'nginx.conf')
    writeFileSync(conf, `pid ${join(c.dir, 'nginx.pid')};\nerror_log ${join(c.dir, 'error.log')};\nevents {}\nhttp {\n${body}}\n`)
    const { stderr } = await run('nginx', ['-t', '-c', conf, '-p', c.dir], { timeout: 30_000 })
    expect(stderr).toMatch(/test is successful/)
  })

  it.skipIf(noHaproxy !== undefined)('the HAProxy snippet passes `haproxy -c`', async () => {
    const c = await tempCerts()
    const body = snippet('haproxy').replace('/etc/haproxy/certs/gateway.pem', c.both)
    const conf = join(c.dir, 'haproxy.cfg')
    writeFileSync(conf, `defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n${body}`)
    const { stdout } = await run('haproxy', ['-c', '-f', conf], { timeout: 30_000 })
    expect(stdout).toMatch(/Configuration file is valid/)
  })
})
