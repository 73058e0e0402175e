/**
 * Helpers of the fault tests: the gateway as a real child process (the CLI, from source), a paced
 * load of numbered requests, what the sandbox received per sequence number, and tmpfs mounts for
 * disk faults. Every helper registers its own cleanup, which runs after each test even when it fails.
 */
import { execFile, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach } from 'vitest'
import type { Sandbox } from '@restgate/sandbox'
import { freePort, runCli, startSandbox, writeConfigFolder, type CliProcess, type ConfigFolderOptions } from '../_harness.ts'

const run = promisify(execFile)

// ---------------------------------------------------------------- cleanups

const cleanups: Array<() => Promise<void> | void> = []

/** Registers work to undo after the current test (last registered, first run). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn)
}

// Last resort when the test worker exits without running the cleanups (a crash, a timeout kill):
// no gateway process or mount is left behind.
const liveChildren = new Set<ChildProcess>()
const liveMounts = new Set<string>()
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL')
  for (const dir of liveMounts) {
    try {
      execFileSync('umount', ['-l', dir], { timeout: 5_000 })
    } catch {
      // already gone
    }
  }
})

afterEach(async () => {
  const errors: unknown[] = []
  for (const fn of cleanups.splice(0).toReversed()) {
    try {
      await fn()
    } catch (error) {
      errors.push(error)
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'fault test cleanup failed')
})

// ---------------------------------------------------------------- config, broker, gateway process

/** The endpoint every fault test posts to: `{"name": <device>, "n": <sequence number>}`. */
export const seqMapping: Record<string, unknown> = {
  endpoint: '/t',
  HTTPMethods: ['POST'],
  converter: {
    type: 'json',
    deviceNameExpression: '${name}',
    deviceTypeExpression: 'sensor',
    timeseries: [{ type: 'int', key: 'n', value: '${n}' }],
  },
}

export type TestSandbox = Sandbox & { port: number }

/** A sandbox (aedes) stopped after the test. */
export async function sandbox(options: Parameters<typeof startSandbox>[0] = {}): Promise<TestSandbox> {
  const sb = await startSandbox(options)
  onCleanup(() => sb.stop())
  return sb
}

export interface FaultFolder {
  dir: string
  file: string
  /** Port of the REST connector. */
  port: number
  url: string
}

/** A config folder (tb_gateway.json + rest.json with `seqMapping`), removed after the test. */
export async function configFolder(brokerPort: number, storage: Record<string, unknown>, extra: Partial<ConfigFolderOptions> = {}): Promise<FaultFolder> {
  const port = await freePort()
  const folder = writeConfigFolder({ brokerPort, storage, connectors: { 'rest.json': { port, mapping: [seqMapping] } }, extensions: false, ...extra })
  onCleanup(folder.cleanup)
  return { dir: folder.dir, file: folder.file, port, url: `http://127.0.0.1:${port}/t` }
}

export interface GatewayProcess {
  cli: CliProcess
  /** Output since start (stdout and stderr: log lines). */
  output(): string
  /** SIGKILL: no flush, no close; resolves once the process is gone. */
  kill9(): Promise<void>
  /** SIGTERM: the gateway flushes for up to 5 s, closes storage, exits 0. */
  terminate(): Promise<number | null>
}

/** Starts the real CLI (`restgate --config <file>`) and waits until its connector listens. */
export async function gatewayProcess(folder: FaultFolder): Promise<GatewayProcess> {
  const cli = runCli(['--config', folder.file])
  let gone = false
  liveChildren.add(cli.child)
  void cli.exited.then(() => {
    gone = true
    liveChildren.delete(cli.child)
  })
  const kill9 = async (): Promise<void> => {
    if (!gone) cli.child.kill('SIGKILL')
    await cli.exited
  }
  onCleanup(kill9)
  const exitedEarly = cli.exited.then((code) => {
    throw new Error(`the gateway exited (code ${code}) before listening; output:\n${cli.output().slice(-3000)}`)
  })
  await Promise.race([cli.waitForOutput(new RegExp(`listening on http://127\\.0\\.0\\.1:${folder.port}`), 20_000), exitedEarly])
  exitedEarly.catch(() => {})
  return {
    cli,
    output: () => cli.output(),
    kill9,
    async terminate() {
      if (!gone) cli.child.kill('SIGTERM')
      return cli.exited
    },
  }
}

/** Starts the CLI and resolves with its exit code and output (for start-up failures). */
export async function gatewayExit(folder: FaultFolder, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  const cli = runCli(['--config', folder.file])
  liveChildren.add(cli.child)
  void cli.exited.then(() => liveChildren.delete(cli.child))
  onCleanup(async () => {
    cli.child.kill('SIGKILL')
    await cli.exited
  })
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the gateway did not exit within ${timeoutMs} ms; output:\n${cli.output().slice(-3000)}`)), timeoutMs)
  })
  try {
    const code = await Promise.race([cli.exited, timeout])
    return { code, output: cli.output() }
  } finally {
    clearTimeout(timer)
  }
}

// ---------------------------------------------------------------- load

export interface PostResult {
  /** HTTP status, or 0 when no answer came (connection refused or reset, timeout). */
  status: number
  /** JSON `code` of an error answer, or the network error's code. */
  code?: string
  retryAfter?: string | null
}

/** POSTs one numbered message; never throws. */
export async function post(url: string, device: string, n: number, timeoutMs = 5_000): Promise<PostResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: device, n }),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    if (res.status === 200) return { status: 200 }
    let code: string | undefined
    try {
      code = (JSON.parse(text) as { code?: string }).code
    } catch {
      code = undefined
    }
    return { status: res.status, code, retryAfter: res.headers.get('retry-after') }
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause
    return { status: 0, code: cause?.code ?? (error as Error).name }
  }
}

export interface LoadOptions {
  /** Where to POST. */
  url: string | (() => string)
  /** Device name prefix; sender k posts as `<prefix>-<k>`, so per device the send order is the `n` order. */
  prefix: string
  senders: number
  total: number
  /** Pace: message `n` is not sent before `start + n × intervalMs`. */
  intervalMs: number
  /** Stop sending once this many requests were answered with an error status. @default no limit */
  stopAfterRefused?: number
}

export interface LoadResult {
  /** Sequence numbers answered 200. */
  ok: Set<number>
  /** Every sequence number sent (answered or not). */
  sent: Map<number, string>
  /** Answers per status: `200`, `503 OUTBOX_FULL`, `0 ECONNREFUSED`, ... */
  statuses: Map<string, number>
  /** Non-200 HTTP answers (status > 0), for assertions. */
  refused: Array<PostResult & { n: number }>
  /** Attempts refused at the TCP level (no process listening) and tried again. */
  retried: number
}

/** How long a sender keeps trying one message while the gateway's port refuses connections. */
const RETRY_REFUSED_MS = 8_000

export interface Load {
  done: Promise<LoadResult>
  /** Messages sent so far. */
  sent(): number
  /** Resolves once `count` messages were sent (or the load ended). */
  reached(count: number): Promise<void>
}

/**
 * A bounded, paced stream of numbered messages from `senders` concurrent senders. A connection
 * refused (no gateway listening) is tried again after 20 ms for up to 8 s, as a device would; any
 * other failure moves on to the next number (the message may or may not have been stored).
 */
export function startLoad(o: LoadOptions): Load {
  const result: LoadResult = { ok: new Set(), sent: new Map(), statuses: new Map(), refused: [], retried: 0 }
  const start = Date.now()
  const url = typeof o.url === 'string' ? () => o.url as string : o.url
  let next = 0
  const waiters: Array<{ count: number; resolve: () => void }> = []
  const notify = (): void => {
    for (const w of waiters.splice(0)) {
      if (result.sent.size >= w.count || next >= o.total) w.resolve()
      else waiters.push(w)
    }
  }
  const sender = async (k: number): Promise<void> => {
    const device = `${o.prefix}-${k}`
    for (;;) {
      if (o.stopAfterRefused !== undefined && result.refused.length >= o.stopAfterRefused) return
      const n = next++
      if (n >= o.total) return
      const wait = start + n * o.intervalMs - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      result.sent.set(n, device)
      notify()
      let r = await post(url(), device, n)
      // a refused connection (the gateway is restarting) never reached it: the device tries again
      const giveUp = Date.now() + RETRY_REFUSED_MS
      while (r.status === 0 && r.code === 'ECONNREFUSED' && Date.now() < giveUp) {
        result.retried++
        await new Promise((res) => setTimeout(res, 20))
        r = await post(url(), device, n)
      }
      const key = r.status === 200 ? '200' : `${r.status} ${r.code ?? ''}`.trim()
      result.statuses.set(key, (result.statuses.get(key) ?? 0) + 1)
      if (r.status === 200) result.ok.add(n)
      else if (r.status > 0) result.refused.push({ n, ...r })
    }
  }
  const done = Promise.all(Array.from({ length: o.senders }, (_, k) => sender(k))).then(() => {
    notify()
    return result
  })
  return {
    done,
    sent: () => result.sent.size,
    reached: (count) =>
      new Promise<void>((resolve) => {
        waiters.push({ count, resolve })
        notify()
      }),
  }
}

// ---------------------------------------------------------------- what arrived

export interface Arrival {
  device: string
  receivedAt: number
  duplicate: boolean
}

/** Every telemetry entry the sandbox holds for devices named `<prefix>-*`, by sequence number. */
export function arrivals(sb: Sandbox, prefix: string): Map<number, Arrival[]> {
  const out = new Map<number, Arrival[]>()
  for (const d of sb.state.devices.values()) {
    if (!d.name.startsWith(`${prefix}-`)) continue
    for (const t of d.telemetry) {
      const n = Number(t.values.n)
      const list = out.get(n) ?? []
      list.push({ device: d.name, receivedAt: t.receivedAt, duplicate: t.duplicate })
      out.set(n, list)
    }
  }
  return out
}

/**
 * Waits until every number in `expected` has arrived at least once; rejects naming the missing
 * ones (with the tail of the gateway's output when `output` is given).
 */
export async function waitForArrivals(
  sb: Sandbox,
  prefix: string,
  expected: Iterable<number>,
  timeoutMs = 15_000,
  output?: () => string,
): Promise<Map<number, Arrival[]>> {
  const want = [...expected]
  const missing = (): number[] => {
    const got = arrivals(sb, prefix)
    return want.filter((n) => !got.has(n))
  }
  try {
    await sb.waitFor(() => missing().length === 0, timeoutMs)
  } catch {
    const m = missing()
    const tail = output === undefined ? '' : `\ngateway output (tail):\n${output().slice(-4000)}`
    throw new Error(`${m.length} of ${want.length} messages answered 200 never arrived (first: ${m.slice(0, 20).join(', ')})${tail}`)
  }
  return arrivals(sb, prefix)
}

/** Per device, the sequence numbers of first arrivals in arrival order (must be increasing). */
export function firstArrivalOrder(sb: Sandbox, prefix: string): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const d of sb.state.devices.values()) {
    if (!d.name.startsWith(`${prefix}-`)) continue
    out.set(
      d.name,
      d.telemetry.filter((t) => !t.duplicate).map((t) => Number(t.values.n)),
    )
  }
  return out
}

export const isIncreasing = (ns: readonly number[]): boolean => ns.every((n, i) => i === 0 || n > (ns[i - 1] as number))

/** One summary line per test in the output, so a CI log shows what each fault run did. */
export function report(name: string, data: Record<string, unknown>): void {
  const parts = Object.entries(data).map(([k, v]) => `${k}=${v instanceof Map ? JSON.stringify(Object.fromEntries(v)) : JSON.stringify(v)}`)
  console.log(`[fault] ${name}: ${parts.join(' ')}`)
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------- disk faults

export interface Tmpfs {
  dir: string
  readOnly(): Promise<void>
  readWrite(): Promise<void>
}

/**
 * A private tmpfs of `sizeKb` (tiny → ENOSPC; remounted read-only → EROFS), unmounted after the
 * test. Needs root with CAP_SYS_ADMIN: otherwise resolves with the reason, and the caller skips.
 */
export async function tmpfs(sizeKb: number): Promise<Tmpfs | { unavailable: string }> {
  if (process.platform !== 'linux') return { unavailable: `tmpfs mounts need Linux (this is ${process.platform})` }
  if (process.getuid?.() !== 0) return { unavailable: 'tmpfs mounts need root' }
  const dir = mkdtempSync(join(tmpdir(), 'restgate-faults-'))
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir], { timeout: 10_000 })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    return { unavailable: `mount -t tmpfs is not permitted here: ${(error as Error).message.trim()}` }
  }
  liveMounts.add(dir)
  onCleanup(async () => {
    await run('umount', [dir], { timeout: 10_000 }).catch(() => run('umount', ['-l', dir], { timeout: 10_000 }))
    liveMounts.delete(dir)
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    dir,
    readOnly: async () => void (await run('mount', ['-o', 'remount,ro', dir], { timeout: 10_000 })),
    readWrite: async () => void (await run('mount', ['-o', 'remount,rw', dir], { timeout: 10_000 })),
  }
}
