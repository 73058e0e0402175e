// Child-process helpers for the benchmark: start a server, read its port, sample CPU and peak RSS.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'

const TICKS_PER_SECOND = 100

/**
 * Starts `node <args>` (or `command <args>`) and resolves once it printed `{"port":N}` (or a line
 * matching `ready`), or, with `waitForPort`, once that port accepts connections.
 */
export function startProcess(args, { env = {}, ready = /^\{"port":\d+\}$/, timeoutMs = 20_000, name = args[0], command = process.execPath, waitForPort } = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  return new Promise((resolve, reject) => {
    let settled = false
    const done = (port) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ child, port, pid: child.pid, output: () => output })
    }
    const timer = setTimeout(() => {
      settled = true
      child.kill('SIGKILL')
      reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output.slice(-2000)}`))
    }, timeoutMs)
    const onLine = (line) => {
      if (!ready || !ready.test(line)) return
      done(line.startsWith('{') ? JSON.parse(line).port : undefined)
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
    child.on('error', (error) => {
      clearTimeout(timer)
      if (!settled) reject(error)
      settled = true
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (!settled) reject(new Error(`${name} exited early with ${code}:\n${output.slice(-2000)}`))
      settled = true
    })
    if (waitForPort !== undefined) {
      const attempt = () => {
        if (settled) return
        const socket = connect({ host: '127.0.0.1', port: waitForPort })
        socket.once('connect', () => {
          socket.destroy()
          done(waitForPort)
        })
        socket.once('error', () => setTimeout(attempt, 50))
      }
      attempt()
    }
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

/** CPU seconds of this process's children that have exited (and were reaped), from /proc/self/stat. */
export function childrenCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpuSeconds() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number)
  const total = v.reduce((a, b) => a + b, 0)
  const idle = v[3] + v[4]
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND }
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
