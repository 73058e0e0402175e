/**
 * A local npm registry for the install test: verdaccio 6.8 (a devDependency) as a child process on
 * 127.0.0.1 and a free port, config and storage in a temp folder, no uplinks: it holds only the
 * `@restgate/*` packages the test publishes. Installs point the `@restgate` scope at it
 * (`@restgate:registry=`) and take every other package (aedes, mqtt, h3, zod, ...) from the npm
 * registry as a user's install does, through npm's cache.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './_harness.ts'

const here = dirname(fileURLToPath(import.meta.url))

export interface Registry {
  url: string
  /** An npm userconfig (`.npmrc`) with this registry as the default and a publish token for it. */
  npmrc: string
  /** Registry output so far (for failure messages). */
  output(): string
  stop(): Promise<void>
}

/** Resolves verdaccio's bin, or undefined when the devDependency is not installed. */
export function verdaccioBin(): string | undefined {
  try {
    const pkg = createRequire(join(here, '../package.json')).resolve('verdaccio/package.json')
    const bin = join(dirname(pkg), 'bin/verdaccio')
    return existsSync(bin) ? bin : undefined
  } catch {
    return undefined
  }
}

export async function startRegistry(options: { timeoutMs?: number } = {}): Promise<Registry> {
  const bin = verdaccioBin()
  if (bin === undefined) throw new Error('verdaccio is not installed (a devDependency of @restgate/gateway): run `pnpm install`')
  const dir = mkdtempSync(join(tmpdir(), 'restgate-registry-'))
  const storage = join(dir, 'storage')
  mkdirSync(storage)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const config = join(dir, 'config.yaml')
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(storage)}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
      // the legacy token is checked against the bcrypt hash on every request: keep it cheap
      '    rounds: 4',
      'packages:',
      "  '@restgate/*':",
      '    access: $all',
      '    publish: $all',
      '    unpublish: $all',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'max_body_size: 100mb',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: json, level: warn }',
      '',
    ].join('\n'),
  )
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let gone = false
  // last resort when the test worker exits without stop(): no registry is left running
  const killOnExit = (): void => void child.kill('SIGKILL')
  process.once('exit', killOnExit)
  void exited.then(() => {
    gone = true
    process.off('exit', killOnExit)
  })
  const stop = async (): Promise<void> => {
    if (!gone) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }

  // up when it answers its ping; gives up on exit or after the timeout
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  for (;;) {
    if (gone) throw new Error(`verdaccio exited at start:\n${out.slice(-3000)}`)
    const ok = await fetch(`${url}-/ping`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`verdaccio did not answer on ${url} in time:\n${out.slice(-3000)}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }

  // a user for the publish token (npm and pnpm refuse to publish without credentials)
  const res = await fetch(`${url}-/user/org.couchdb.user:restgate-test`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'restgate-test', password: 'restgate-test-password', email: 'test@example.invalid' }),
  })
  const { token } = (await res.json()) as { token?: string }
  if (!res.ok || !token) {
    await stop()
    throw new Error(`verdaccio refused to create the test user (${res.status}):\n${out.slice(-3000)}`)
  }
  const npmrc = join(dir, '.npmrc')
  writeFileSync(npmrc, [`registry=${url}`, `//127.0.0.1:${port}/:_authToken=${token}`, 'fund=false', 'audit=false', 'update-notifier=false', ''].join('\n'))
  return { url, npmrc, output: () => out, stop }
}
