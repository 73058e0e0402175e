// Child-process helpers for the benchmark: start a server, read its port, sample CPU and peak RSS.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

const TICKS_PER_SECOND = 100

/** Starts `node <args>` and resolves once it printed `{"port":N}` (or a line matching `ready`). */
export function startProcess(args, { env = {}, ready = /^\{"port":\d+\}$/, timeoutMs = 20_000, name = args[0] } = {}) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output.slice(-2000)}`))
    }, timeoutMs)
    const onLine = (line) => {
      if (!ready.test(line)) return
      clearTimeout(timer)
      const port = line.startsWith('{') ? JSON.parse(line).port : undefined
      resolve({ child, port, pid: child.pid, output: () => output })
    }
    let buffer = ''
    child.stdout.on('data', (d) => {
      output += d
      buffer += d
      let i
      while ((i = buffer.indexOf('\n')) >= 0) {
        onLine(buffer.slice(0, i).trim())
        buffer = buffer.slice(i + 1)
      }
    })
    child.stderr.on('data', (d) => {
      output += d
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited early with ${code}:\n${output.slice(-2000)}`))
    })
  })
}

export async function stopProcess(proc, signal = 'SIGTERM') {
  if (proc.child.exitCode !== null) return
  await new Promise((resolve) => {
    const kill = setTimeout(() => proc.child.kill('SIGKILL'), 8_000)
    proc.child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    proc.child.kill(signal)
  })
}

/** CPU seconds (user + system) the process used so far, from /proc. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

/** Peak resident set size (VmHWM) in MB, and the current one (VmRSS). */
export function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { peak: kb('VmHWM') / 1024, current: kb('VmRSS') / 1024 }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}
