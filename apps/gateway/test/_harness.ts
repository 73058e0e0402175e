/**
 * End-to-end harness: a real sandbox (aedes) standing in for ThingsBoard, real config files in a
 * temp folder, and the real gateway, composed in-process or started as the CLI process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { threadId } from 'node:worker_threads'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSandbox, type Sandbox, type SandboxOptions } from '@restgate/sandbox'
import { createGateway, type Gateway } from '../src/gateway.ts'
import { loadGatewayFiles } from '../src/load-config.ts'
import { createConsoleLogger } from '../src/logger.ts'

const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot: string = join(here, '../../..')
export const quickstartDir: string = join(repoRoot, 'examples/quickstart')
export const TOKEN = 'e2e-token'

/**
 * Ports handed out by `freePort`: below Linux's ephemeral range (32768–60999), where a port just
 * freed is soon given to someone else's outgoing connection or `listen(0)` (the suite makes
 * thousands), and in a block of its own per worker thread (every test file runs in one of the
 * vitest process's threads), counting up from a random start. Each one is checked bindable first.
 */
const PORT_FLOOR = 20_000
const PORT_BLOCK = 1_500
let nextPort = PORT_FLOOR + (threadId % 8) * PORT_BLOCK + Math.floor(Math.random() * PORT_BLOCK)

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

/** A port on 127.0.0.1 that nothing listens on now, for a process the test starts. */
export async function freePort(): Promise<number> {
  const block = PORT_FLOOR + (threadId % 8) * PORT_BLOCK
  for (let tries = 0; tries < PORT_BLOCK; tries++) {
    const port = nextPort
    nextPort = block + ((nextPort - block + 1) % PORT_BLOCK)
    if (await bindable(port)) return port
  }
  throw new Error(`freePort: no free port in ${block}-${block + PORT_BLOCK - 1}`)
}

export interface ConfigFolderOptions {
  brokerPort: number
  /** connector file name → rest.json content */
  connectors: Record<string, unknown>
  storage?: Record<string, unknown>
  thingsboard?: Record<string, unknown>
  /** Copy the quickstart's extensions/ (CustomConverter) into the folder. */
  extensions?: boolean
  /** More top-level keys of tb_gateway.json (e.g. `restRpc`). */
  gateway?: Record<string, unknown>
}

/** Writes tb_gateway.json + connector files into a new temp folder; returns its tb_gateway.json path. */
export function writeConfigFolder(opts: ConfigFolderOptions): { dir: string; file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'restgate-e2e-'))
  for (const [name, content] of Object.entries(opts.connectors)) writeFileSync(join(dir, name), JSON.stringify(content, null, 2))
  if (opts.extensions !== false) cpSync(join(quickstartDir, 'extensions'), join(dir, 'extensions'), { recursive: true })
  const file = join(dir, 'tb_gateway.json')
  writeFileSync(
    file,
    JSON.stringify({
      thingsboard: { host: '127.0.0.1', port: opts.brokerPort, qos: 1, security: { type: 'accessToken', accessToken: TOKEN }, ...opts.thingsboard },
      storage: opts.storage ?? { type: 'memory', max_records_count: 10_000, read_records_count: 100 },
      connectors: Object.keys(opts.connectors).map((name, i) => ({ type: 'rest', name: `REST Connector${i ? ` ${i + 1}` : ''}`, configuration: name })),
      ...opts.gateway,
    }),
  )
  return { dir, file, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * The sandbox broker in this process, on a `freePort()` port (not an ephemeral one: tests stop and
 * start it again on the same port, and meanwhile the gateway's reconnects could get that port as
 * their own local port, a TCP self-connect).
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox & { port: number }> {
  const sandbox = createSandbox({ port: await freePort(), accessToken: TOKEN, logger: quietLogger(), ...options })
  const { port } = await sandbox.start()
  return Object.assign(sandbox, { port })
}

function quietLogger(lines: string[] = []): ReturnType<typeof createConsoleLogger> {
  return createConsoleLogger({
    level: process.env.RESTGATE_TEST_LOG ? 'debug' : 'warn',
    write: (l) => (process.env.RESTGATE_TEST_LOG ? console.error(l) : lines.push(l)),
  })
}

export interface RunningGateway {
  gateway: Gateway
  /** Base URL of each connector's server, in config order. */
  urls: string[]
  logs: string[]
  stop(): Promise<void>
}

/** Loads the folder's tb_gateway.json and starts the composed gateway in this process. */
export async function startGateway(file: string, options: { waitForConnection?: boolean } = {}): Promise<RunningGateway> {
  const loaded = await loadGatewayFiles(file)
  if (!loaded.ok) throw new Error('invalid test config:\n' + loaded.issues.map((i) => i.message).join('\n'))
  const logs: string[] = []
  const gateway = createGateway({ config: loaded.value, logger: quietLogger(logs) })
  const connected = new Promise<void>((resolve) => gateway.tb.on('connect', () => resolve()))
  const { endpoints } = await gateway.start()
  // ThingsBoard sends downlink only to a connected, subscribed gateway: wait for that session.
  if (options.waitForConnection !== false) await Promise.race([connected, new Promise((r) => setTimeout(r, 5_000))])
  return { gateway, urls: endpoints.map((e) => e.url), logs, stop: () => gateway.stop({ flushTimeoutMs: 2_000 }) }
}

export interface CliProcess {
  child: ChildProcess
  output(): string
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  exited: Promise<number | null>
}

/** The package's `restgate` bin, as a user runs it (it runs the built dist/: test/_build.ts builds it first). */
export const restgateBin: string = join(here, '../bin/restgate.js')

/** Runs the real CLI: the `restgate` bin on the built packages (0.6 s to start, against 1.3-1.9 s from source through tsx). */
export function runCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [restgateBin, ...args], {
    cwd: repoRoot,
    // readable lines unless a test asks otherwise (RESTGATE_LOG_FORMAT: '' = automatic, json here: not a terminal)
    env: { ...process.env, RESTGATE_LOG_FORMAT: 'pretty', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const listeners = new Set<() => void>()
  const onData = (d: Buffer): void => {
    out += d.toString()
    for (const l of listeners) l()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    output: () => out,
    exited,
    waitForOutput(re, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out)
          if (m) {
            listeners.delete(check)
            clearTimeout(timer)
            resolve(m)
          }
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`no output matching ${re} within ${timeoutMs} ms; got:\n${out.slice(-3000)}`))
        }, timeoutMs)
        listeners.add(check)
        void exited.then((code) =>
          setTimeout(() => {
            check()
            if (!listeners.has(check)) return
            listeners.delete(check)
            clearTimeout(timer)
            reject(new Error(`the process exited (code ${code}) without output matching ${re}; got:\n${out.slice(-3000)}`))
          }, 10),
        )
        check()
      })
    },
  }
}

export const basicAuth = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')

/** A copy of the docs' example config (rest-connector-docs.md) with another port. */
export async function docsConfig(port: number): Promise<Record<string, unknown>> {
  const { readFile } = await import('node:fs/promises')
  const docs = JSON.parse(await readFile(join(quickstartDir, 'rest.json'), 'utf8')) as Record<string, unknown>
  return { ...docs, port: String(port) }
}
