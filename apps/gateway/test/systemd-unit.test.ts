/**
 * deploy/systemd/restgate.service: checked by systemd's own `systemd-analyze verify` (no warning
 * allowed) and `systemd-analyze security --offline`, and read for the settings the README promises.
 * Skipped, with the reason, where systemd-analyze is not installed (`apt-get install systemd`).
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './_harness.ts'

const run = promisify(execFile)
const unitFile = join(repoRoot, 'deploy/systemd/restgate.service')
const sysusersFile = join(repoRoot, 'deploy/systemd/restgate.sysusers.conf')

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const skip = hasSystemdAnalyze() ? undefined : 'systemd-analyze is not installed (Debian: apt-get install systemd)'
if (skip) console.warn(`systemd-unit: verify checks skipped: ${skip}`)

/** `systemd-analyze verify` on a unit file: exit code and everything it printed. */
async function verify(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', file], { timeout: 30_000 })
    return { code: 0, output: stdout + stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, output: (e.stdout ?? '') + (e.stderr ?? '') }
  }
}

/** `Key=value` lines of one section (later lines of a key win, as in systemd; comments skipped). */
function section(text: string, name: string): Map<string, string> {
  const out = new Map<string, string>()
  let current = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const head = /^\[(.+)\]$/.exec(line)
    if (head) current = head[1]!
    else if (current === name) {
      const eq = line.indexOf('=')
      out.set(line.slice(0, eq), line.slice(eq + 1))
    }
  }
  return out
}

const seconds = (v: string): number => {
  const m = /^(\d+)\s*(s|min)?$/.exec(v)
  if (!m) throw new Error(`unexpected time span ${v}`)
  return Number(m[1]) * (m[2] === 'min' ? 60 : 1)
}

describe('systemd unit', () => {
  const text = readFileSync(unitFile, 'utf8')
  const service = section(text, 'Service')

  it('runs restgate as the restgate user with the documented paths, reload and restart policy', () => {
    expect(service.get('ExecStart')).toBe('/usr/bin/env restgate --config /etc/restgate/tb_gateway.json')
    expect(service.get('ExecReload')).toBe('/bin/kill -HUP $MAINPID')
    expect(service.get('Restart')).toBe('on-failure')
    expect(service.get('RestartPreventExitStatus')).toBe('2') // invalid config: a restart cannot fix it
    expect(service.get('User')).toBe('restgate')
    expect(service.get('StateDirectory')).toBe('restgate')
    expect(service.get('ReadWritePaths')).toBe('/var/lib/restgate')
    expect(service.get('ProtectSystem')).toBe('strict')
    expect(service.get('NoNewPrivileges')).toBe('yes')
    // the CLI flushes for up to 5 s on SIGTERM, then closes the storage: systemd must wait longer
    const cli = readFileSync(join(repoRoot, 'apps/gateway/src/cli.ts'), 'utf8')
    const flushMs = Number(/const FLUSH_TIMEOUT_MS = ([\d_]+)/.exec(cli)?.[1]?.replaceAll('_', ''))
    expect(flushMs).toBeGreaterThan(0)
    expect(seconds(service.get('TimeoutStopSec')!)).toBeGreaterThanOrEqual((flushMs / 1000) * 2)
    // the user the unit names is the one the sysusers.d file creates
    expect(readFileSync(sysusersFile, 'utf8')).toMatch(/^u restgate - "[^"]+" \/var\/lib\/restgate /m)
  })

  it.skipIf(skip !== undefined)('passes `systemd-analyze verify` without a warning', async () => {
    const { code, output } = await verify(unitFile)
    expect(output).toBe('')
    expect(code).toBe(0)
  })

  it.skipIf(skip !== undefined)('the verify check fails on a broken unit (it is not a no-op)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restgate-unit-'))
    try {
      const broken = join(dir, 'restgate.service')
      writeFileSync(
        broken,
        text.replace('ExecStart=/usr/bin/env restgate', 'ExecStart=/nonexistent/restgate').replace('Restart=on-failure', 'Restart=sometimes'),
      )
      const { code, output } = await verify(broken)
      expect(code).not.toBe(0)
      expect(output).toMatch(/\/nonexistent\/restgate/)
      expect(output).toMatch(/restart specifier.*sometimes/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it.skipIf(skip !== undefined)('is hardened: `systemd-analyze security` rates its exposure OK or better', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', unitFile], { timeout: 30_000 }).catch((e: { stdout?: string }) => ({
      stdout: e.stdout ?? '',
    }))
    const m = /Overall exposure level for restgate\.service: ([\d.]+) (\w+)/.exec(stdout)
    expect(m, stdout.slice(-1000)).not.toBeNull()
    expect(Number(m![1])).toBeLessThanOrEqual(3)
    console.log(`systemd-analyze security: exposure ${m![1]} ${m![2]}`)
  })
})
