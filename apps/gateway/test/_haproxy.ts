/**
 * Real HAProxy (Debian's package) for the scale-out tests and benchmark: renders the repo's
 * deploy/haproxy/haproxy.cfg.tmpl with test ports and runs `haproxy -db` in the foreground.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'

/** Why HAProxy cannot be used here, or undefined when it can. */
export function haproxyMissing(): string | undefined {
  const r = spawnSync('haproxy', ['-v'], { encoding: 'utf8' })
  if (r.error || r.status !== 0) return 'haproxy is not installed (Debian: apt-get install haproxy; scripts/setup.sh does it as root)'
  return undefined
}

export interface HaproxyServer {
  name: string
  port: number
}

/** The repo's template with `bind`, `inter` and one server line per instance filled in. */
export function renderHaproxyConfig(repoRoot: string, opts: { bind: string; inter: string; servers: HaproxyServer[] }): string {
  const template = readFileSync(join(repoRoot, 'deploy/haproxy/haproxy.cfg.tmpl'), 'utf8')
  const servers = opts.servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port}\n`).join('')
  return template
    .replaceAll('@BIND@', opts.bind)
    .replaceAll('@CHECK_INTER@', opts.inter)
    .replace(/^@SERVERS@\n/m, servers)
}

export interface RunningHaproxy {
  child: ChildProcess
  /** stderr lines with the time they arrived (server UP/DOWN warnings among them). */
  lines: Array<{ at: number; text: string }>
  /** Resolves with the arrival time of the first line matching `re` (after `since`). */
  waitForLine(re: RegExp, since?: number, timeoutMs?: number): Promise<number>
  stop(): Promise<void>
}

export async function startHaproxy(dir: string, config: string): Promise<RunningHaproxy> {
  const file = join(dir, 'haproxy.cfg')
  writeFileSync(file, config)
  const check = spawnSync('haproxy', ['-c', '-q', '-f', file], { encoding: 'utf8' })
  if (check.status !== 0) throw new Error(`haproxy rejected the config:\n${check.stderr}${check.stdout}`)
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: Array<{ at: number; text: string }> = []
  const listeners = new Set<() => void>()
  let buffered = ''
  const onData = (d: Buffer): void => {
    buffered += d.toString()
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    for (const text of parts) lines.push({ at: Date.now(), text })
    for (const l of listeners) l()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    lines,
    waitForLine(re, since = 0, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const look = (): void => {
          const hit = lines.find((l) => l.at >= since && re.test(l.text))
          if (!hit) return
          listeners.delete(look)
          clearTimeout(timer)
          resolve(hit.at)
        }
        const timer = setTimeout(() => {
          listeners.delete(look)
          reject(new Error(`haproxy printed no line matching ${re} within ${timeoutMs} ms:\n${lines.map((l) => l.text).join('\n')}`))
        }, timeoutMs)
        listeners.add(look)
        look()
      })
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** One HTTP request, optionally from a given local (source) address; never rejects. */
export function httpPost(
  port: number,
  path: string,
  body: string,
  options: { from?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        ...(options.from ? { localAddress: options.from } : {}),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...options.headers },
        timeout: options.timeoutMs ?? 20_000,
      },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        res.on('error', () => resolve({ status: 0, body: '' }))
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (error) => resolve({ status: 0, body: String(error) }))
    req.end(body)
  })
}
