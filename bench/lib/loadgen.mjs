// The load generator: wrk (Debian's `wrk`, C, one thread) when it is on PATH, else autocannon in a
// child process. BENCH_LOADGEN=wrk|autocannon forces one. Both print the same RGRESULT line.
import { spawn, spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AUTH } from './payload.mjs'
import { childrenCpuSeconds } from './procs.mjs'

const here = dirname(fileURLToPath(import.meta.url))

/** 'wrk' or 'autocannon', with the reason for the choice. */
export function chooseLoadGenerator() {
  const forced = process.env.BENCH_LOADGEN
  const hasWrk = spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error === undefined
  if (forced === 'autocannon') return { tool: 'autocannon', why: 'BENCH_LOADGEN=autocannon' }
  if (forced === 'wrk') {
    if (!hasWrk) throw new Error('BENCH_LOADGEN=wrk but wrk is not installed (apt-get install wrk)')
    return { tool: 'wrk', why: 'BENCH_LOADGEN=wrk' }
  }
  if (forced !== undefined && forced !== '') throw new Error(`BENCH_LOADGEN must be wrk or autocannon, got "${forced}"`)
  return hasWrk ? { tool: 'wrk', why: 'found on PATH' } : { tool: 'autocannon', why: 'wrk not installed (apt-get install wrk)' }
}

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let interrupted = false
    child.stdout.on('data', (d) => {
      out += d
      // wrk with an amount: its thread stopped sending; SIGINT makes it print the summary now
      if (command === 'wrk' && out.includes('RGAMOUNT') && !interrupted) {
        interrupted = true
        child.kill('SIGINT')
      }
    })
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RGRESULT '))
      if (code !== 0 || !line) return reject(new Error(`${command} failed (exit ${code}):\n${out.slice(-2000)}`))
      resolve(JSON.parse(line.slice('RGRESULT '.length)))
    })
  })
}

/**
 * Loads `url` with POSTs of the docs' payload for `duration` seconds (or until `amount` answers)
 * over `connections` keep-alive connections, cycling over `devices` device names. Resolves with
 * answers, throughput, latency (ms) and the load generator's own CPU seconds.
 */
export async function load(tool, { url, connections, duration, amount, devices, auth = true }) {
  const cpu0 = childrenCpuSeconds()
  let r
  if (tool === 'wrk') {
    // wrk has no request count: with `amount` it runs until the Lua script stops it (bounded by a long -d)
    const seconds = amount ? 600 : duration
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', join(here, 'wrk.lua'), url]
    r = await run('wrk', args, { RG_DEVICES: String(devices), RG_AMOUNT: String(amount ?? 0), RG_AUTH: auth ? AUTH : '' })
  } else {
    const spec = JSON.stringify({ url, connections, duration, amount, devices, auth })
    r = await run(process.execPath, [join(here, 'autocannon-run.mjs'), spec], {})
  }
  // the child has been reaped: its CPU time is now in this process's children counters
  const cpu = childrenCpuSeconds() - cpu0
  const seconds = r.durationUs / 1e6
  const ok = r.requests - r.non2xx
  return {
    ok,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    seconds,
    rps: ok / seconds,
    p50: r.p50Us / 1000,
    p99: r.p99Us / 1000,
    max: r.maxUs / 1000,
    loadgenCpu: cpu / seconds,
  }
}
