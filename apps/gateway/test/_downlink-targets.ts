/**
 * Downlink targets for the pressure tests: `fast` (answers 200 at once) in its own process with the
 * uplink probes, so its thousands of requests do not slow the test process; `hang` (never answers)
 * in the test process, so the time a request reaches it and the time its RPC's reply reaches the
 * sandbox are read on one event loop (two processes' loops lag differently on a loaded machine).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startCountingServer, type CountingView } from '../../../packages/dispatcher/test/_counting-server.mjs'

/** What a target saw: requests, their arrivals by path, sockets open at once. */
export type TargetView = CountingView

export interface TargetProcess {
  fast: string
  hang: string
  child: ChildProcess
  view(target: 'fast' | 'hang', prefix?: string): Promise<TargetView>
  /** Sends uplink probes to `url` from the target process (not the busy test process) until `done` settles. */
  probeWhile(url: string, done: Promise<unknown>): Promise<{ max: number; count: number; slow: string[]; error?: string }>
  close(): Promise<void>
}

export async function startTargetProcess(): Promise<TargetProcess> {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), '_downlink-targets-child.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ready = await new Promise<{ fast: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { fast: number }))
    child.once('exit', (code) => reject(new Error(`target process exited (${code})`)))
  })
  const hang = await startCountingServer(false)
  let next = 0
  const waiting = new Map<number, (v: never) => void>()
  child.on('message', (m) => {
    const { id, ...view } = m as { id?: number }
    if (id !== undefined) (waiting.get(id) as ((v: unknown) => void) | undefined)?.(view)
    if (id !== undefined) waiting.delete(id)
  })
  const ask = <T>(message: Record<string, unknown>): Promise<T> => {
    const id = ++next
    return new Promise<T>((resolve) => {
      waiting.set(id, resolve as (v: never) => void)
      child.send({ id, ...message })
    })
  }
  return {
    fast: `http://127.0.0.1:${ready.fast}`,
    hang: `http://127.0.0.1:${hang.port}`,
    child,
    view: (target, prefix) => (target === 'hang' ? Promise.resolve(hang.view(prefix)) : ask<TargetView>({ prefix })),
    async probeWhile(url, done) {
      child.send({ probe: url })
      await done.catch(() => undefined)
      return ask({ stopProbe: true })
    },
    async close() {
      await hang.close()
      const exited = new Promise((r) => child.once('exit', r))
      child.kill()
      await exited
    },
  }
}

/** Resets the peak RSS (VmHWM) of a process to its current RSS (Linux `clear_refs` 5); false when not permitted. */
export async function resetPeakRss(pid: number): Promise<boolean> {
  const { writeFile } = await import('node:fs/promises')
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Current resident set size (VmRSS), in MB. */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN) / 1024
}

/** Peak resident set size of a process (VmHWM), in MB. */
export async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN)
  return kb / 1024
}

/** POSTs one uplink message and returns how long the answer took (ms). */
export async function uplinkLatency(url: string): Promise<number> {
  const started = performance.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"probe","t":1}' })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`uplink answered ${res.status}`)
  return performance.now() - started
}
