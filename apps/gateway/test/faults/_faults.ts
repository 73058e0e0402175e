/**
 * Helpers of the fault tests: the gateway as a real child process (the built CLI), the sandbox and
 * config folders, and tmpfs mounts for disk faults (traffic helpers: _traffic.ts). Every helper
 * undoes its work with vitest's `onTestFinished` (last registered, first run), which runs after the
 * test even when it fails; the helpers are for tests that run one at a time (not `.concurrent`).
 */
import { execFileSync, type ChildProcess } from 'node:child_process'
import { onTestFinished } from 'vitest'
import type { Sandbox } from '@restgate/sandbox'
import { mountTmpfs } from '@restgate/storage/testing'
import { freePort, runCli, startSandbox, writeConfigFolder, type CliProcess, type ConfigFolderOptions } from '../_harness.ts'

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
  onTestFinished(() => sb.stop())
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
  onTestFinished(folder.cleanup)
  return { dir: folder.dir, file: folder.file, port, url: `http://127.0.0.1:${port}/t` }
}

export interface GatewayProcess {
  cli: CliProcess
  /** Output since start (stdout and stderr: log lines). */
  output(): string
  /** SIGKILL: no flush, no close; resolves once the process is gone. */
  kill9(): Promise<void>
  /** SIGTERM: the gateway flushes for up to 5 s (`--flush-timeout`), closes storage, exits 0. */
  terminate(): Promise<number | null>
}

/** Starts the real CLI (`restgate --config <file> ...args`) and waits until its connector listens. */
export async function gatewayProcess(folder: FaultFolder, args: readonly string[] = []): Promise<GatewayProcess> {
  const cli = runCli(['--config', folder.file, ...args])
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
  onTestFinished(kill9)
  const exitedEarly = cli.exited.then((code) => {
    throw new Error(`the gateway exited (code ${code}) before listening; output:\n${cli.output().slice(-3000)}`)
  })
  await Promise.race([cli.waitForOutput(new RegExp(`listening on http://127\\.0\\.0\\.1:${folder.port}`), 60_000), exitedEarly])
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
export async function gatewayExit(folder: FaultFolder, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const cli = runCli(['--config', folder.file])
  liveChildren.add(cli.child)
  void cli.exited.then(() => liveChildren.delete(cli.child))
  onTestFinished(async () => {
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

// ---------------------------------------------------------------- disk faults

export interface Tmpfs {
  dir: string
  readOnly(): Promise<void>
  readWrite(): Promise<void>
}

/**
 * A private tmpfs of `sizeKb` (tiny → ENOSPC; remounted read-only → EROFS), unmounted after the
 * test: the storage conformance suite's helper (`mountTmpfs`), with this file's cleanups. Needs root
 * with CAP_SYS_ADMIN: otherwise resolves with the reason, and the caller skips.
 */
export async function tmpfs(sizeKb: number): Promise<Tmpfs | { unavailable: string }> {
  const mounted = await mountTmpfs(sizeKb)
  if ('unavailable' in mounted) return mounted
  liveMounts.add(mounted.dir)
  onTestFinished(async () => {
    await mounted.unmount()
    liveMounts.delete(mounted.dir)
  })
  return { dir: mounted.dir, readOnly: mounted.readOnly, readWrite: mounted.readWrite }
}
