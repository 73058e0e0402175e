/**
 * Installable for real: every public package is built and published as `pnpm release` does (build,
 * `changeset publish`) to a local npm registry (verdaccio, see _registry.ts); the CLI is installed
 * from it into an empty folder with `npm i @restgate/gateway` (and globally with `npm i -g`), and the
 * README's quickstart runs from there: `restgate --version` (and `npx @restgate/gateway --version`),
 * then `restgate --config tb_gateway.json --sandbox` on a copy of examples/quickstart with free
 * ports, the docs' request answered 200 and seen by the sandbox's HTTP view. Prints the time of
 * each phase. Skipped, with the reason, only when verdaccio is not installed.
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, freePort, quickstartDir, repoRoot } from './_harness.ts'
import { startRegistry, verdaccioBin, type Registry } from './_registry.ts'

const run = promisify(execFile)
const MINUTE = 60_000

interface WorkspacePackage {
  dir: string
  name: string
  version: string
  private?: boolean
}

/** The workspace's public packages (what `pnpm publish -r` publishes). */
function publicPackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = []
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(repoRoot, group))) {
      const file = join(repoRoot, group, name, 'package.json')
      if (!existsSync(file)) continue
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as WorkspacePackage
      if (!pkg.private) out.push({ ...pkg, dir: join(repoRoot, group, name) })
    }
  }
  return out
}

/**
 * better-sqlite3's install script (prebuild-install) downloads a prebuilt binary from GitHub, else
 * compiles SQLite (over 5 minutes on a loaded 2-core machine). GitHub is not reachable here, so the
 * binary pnpm built for the workspace is offered as a "local prebuild" (prebuild-install's
 * `<pkg>_local_prebuilds` setting): the install script runs as for a user, only its download is
 * local. The install folder pins better-sqlite3 to the workspace's version so the binary matches.
 */
function localSqlitePrebuild(into: string): { dir: string; version: string } {
  const require = createRequire(join(repoRoot, 'packages/tb-client/package.json'))
  const pkgFile = require.resolve('better-sqlite3/package.json')
  const version = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version
  const dir = join(into, '.prebuilds')
  mkdirSync(dir)
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  execFileSync('tar', ['czf', join(dir, name), '-C', dirname(pkgFile), 'build/Release/better_sqlite3.node'])
  return { dir, version }
}

const timings: Record<string, number> = {}
async function timed<T>(phase: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now()
  try {
    return await work()
  } finally {
    timings[phase] = Math.round(performance.now() - t0)
  }
}

const skip = verdaccioBin() === undefined ? 'verdaccio (devDependency of @restgate/gateway) is not installed: run `pnpm install`' : undefined
if (skip) console.warn(`install.e2e: skipped: ${skip}`)

describe.skipIf(skip !== undefined)('installed from a registry', () => {
  const gateway = publicPackages().find((p) => p.name === '@restgate/gateway')!
  let registry: Registry
  let installDir: string
  const started = performance.now()

  beforeAll(async () => {
    // what `pnpm release` does first: build every package (turbo: cached when nothing changed)
    await timed('build', () => run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: repoRoot, timeout: 4 * MINUTE }))
    registry = await timed('registry start', () => startRegistry())
    // then what `pnpm release` does next: `changeset publish` (every public package not yet in the
    // registry, through `pnpm publish`, which replaces the `workspace:^` and `catalog:` ranges);
    // --no-git-tag: a test must not tag the repository
    await timed('publish', () =>
      run('pnpm', ['exec', 'changeset', 'publish', '--no-git-tag'], {
        cwd: repoRoot,
        timeout: 3 * MINUTE,
        env: { ...process.env, npm_config_userconfig: registry.npmrc, npm_config_registry: registry.url },
      }).catch((error: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(
          `changeset publish failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}\nregistry:\n${registry.output().slice(-2000)}`,
        )
      }),
    )
    // an empty folder whose project .npmrc takes the @restgate scope from the local registry; the
    // rest comes from the npm registry (npm's cache first) and the user's own npm settings (e.g.
    // nodedir for native builds) still apply
    installDir = mkdtempSync(join(tmpdir(), 'restgate-install-'))
    writeFileSync(join(installDir, '.npmrc'), `@restgate:registry=${registry.url}\nfund=false\naudit=false\nupdate-notifier=false\n`)
    const sqlite = localSqlitePrebuild(installDir)
    writeFileSync(join(installDir, 'package.json'), JSON.stringify({ private: true, overrides: { 'better-sqlite3': sqlite.version } }))
    await timed('npm install', () =>
      run('npm', ['i', '@restgate/gateway', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: installDir,
        timeout: 4 * MINUTE,
        env: { ...process.env, npm_config_better_sqlite3_local_prebuilds: sqlite.dir },
      }).catch((error: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`npm install failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}\nregistry:\n${registry.output().slice(-2000)}`)
      }),
    )
  }, 12 * MINUTE)

  afterAll(async () => {
    await registry?.stop()
    if (installDir) rmSync(installDir, { recursive: true, force: true })
    timings.total = Math.round(performance.now() - started)
    console.log(`install.e2e timings (ms): ${JSON.stringify(timings)}`)
  })

  it('installs every public package from the local registry, each with its LICENSE and metadata', () => {
    for (const p of publicPackages()) {
      const dir = join(installDir, 'node_modules', p.name)
      const installed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>
      expect(installed.version, p.name).toBe(p.version)
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), p.name).toBe(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'))
      expect(existsSync(join(dir, 'dist/index.mjs')), `${p.name} dist`).toBe(true)
      // no workspace-only ranges leak into what users install
      expect(JSON.stringify(installed.dependencies ?? {}), p.name).not.toMatch(/workspace:|catalog:/)
    }
  })

  it(
    'installs a working better-sqlite3 (sqlite storage) through its install script',
    async () => {
      const { stdout } = await run(
        process.execPath,
        ['-e', "const D = require('better-sqlite3'); console.log(new D(':memory:').prepare('select 40 + 2 as x').get().x)"],
        { cwd: installDir },
      )
      expect(stdout.trim()).toBe('42')
    },
    MINUTE,
  )

  it(
    '`restgate --version` and `npx @restgate/gateway --version` print the package version',
    async () => {
      const bin = join(installDir, 'node_modules/.bin/restgate')
      expect((await run(bin, ['--version'], { cwd: installDir })).stdout).toBe(`restgate ${gateway.version}\n`)
      const npx = await run('npx', ['--no-install', '@restgate/gateway', '--version'], { cwd: installDir })
      expect(npx.stdout).toBe(`restgate ${gateway.version}\n`)
    },
    MINUTE,
  )

  it(
    '`npm i -g` puts a working `restgate` command on the PATH',
    async () => {
      // a global install into its own prefix; --ignore-scripts because a global install cannot pin
      // better-sqlite3 to the workspace's prebuilt binary (the local install above runs its script)
      const prefix = join(installDir, 'global')
      await timed('npm install -g', () =>
        run(
          'npm',
          [
            'i',
            '-g',
            '--prefix',
            prefix,
            `--@restgate:registry=${registry.url}`,
            '--ignore-scripts',
            '--prefer-offline',
            '--no-audit',
            '--no-fund',
            '--loglevel=error',
            '@restgate/gateway',
          ],
          {
            cwd: installDir,
            timeout: 3 * MINUTE,
          },
        ),
      )
      const { stdout } = await run('restgate', ['--version'], { env: { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` } })
      expect(stdout).toBe(`restgate ${gateway.version}\n`)
    },
    4 * MINUTE,
  )

  it(
    'runs the quickstart: the docs request is answered 200 and seen by the sandbox',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'restgate-quickstart-'))
      try {
        cpSync(quickstartDir, dir, { recursive: true })
        const [mqttPort, restPort, httpPort] = [await freePort(), await freePort(), await freePort()]
        const tbFile = join(dir, 'tb_gateway.json')
        const tb = JSON.parse(readFileSync(tbFile, 'utf8')) as { thingsboard: { port: number } }
        tb.thingsboard.port = mqttPort
        writeFileSync(tbFile, JSON.stringify(tb, null, 2))
        const rest = JSON.parse(readFileSync(join(dir, 'rest.json'), 'utf8')) as { port: string }
        rest.port = String(restPort)
        writeFileSync(join(dir, 'rest.json'), JSON.stringify(rest, null, 2))

        const child = spawn(join(installDir, 'node_modules/.bin/restgate'), ['--config', tbFile, '--sandbox', '--sandbox-http-port', String(httpPort)], {
          cwd: installDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let out = ''
        child.stdout.on('data', (d: Buffer) => (out += d.toString()))
        child.stderr.on('data', (d: Buffer) => (out += d.toString()))
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
        try {
          await expect.poll(() => out, { timeout: 30_000, interval: 100 }).toMatch(new RegExp(`listening on http://127\\.0\\.0\\.1:${restPort}`))
          await expect.poll(() => out, { timeout: 15_000, interval: 100 }).toMatch(/connected to ThingsBoard/)

          // README "Try it": the docs' request with the docs' basic auth
          const body = { sensorName: 'SN-001', sensorType: 'Thermometer', sensorModel: 'T1000', certificateNumber: '125sda47gsh', temp: 32, hum: 67 }
          const res = await fetch(`http://127.0.0.1:${restPort}/my_devices`, {
            method: 'POST',
            headers: { authorization: basicAuth('user', 'password'), 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
          expect(res.status, await res.clone().text()).toBe(200)
          const anon = await fetch(`http://127.0.0.1:${restPort}/anon1?temp=20.5&hum=30`, { method: 'POST' })
          expect(anon.status, await anon.text()).toBe(200)

          // the sandbox's HTTP view shows what "ThingsBoard" received
          const device = async (): Promise<string> => {
            const r = await fetch(`http://127.0.0.1:${httpPort}/api/devices`)
            return r.ok ? r.text() : ''
          }
          await expect.poll(device, { timeout: 15_000, interval: 200 }).toMatch(/SN-001/)
          const devices = await device()
          expect(devices).toContain('Thermometer')
          expect(devices).toMatch(/"temperature"|"temp"/)
        } finally {
          child.kill('SIGTERM')
        }
        expect(await exited, out).toBe(0)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
    2 * MINUTE,
  )
})
