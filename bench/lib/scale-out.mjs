// W5: W1 through HAProxy (Debian's `haproxy`, the repo's deploy/haproxy template) in front of 1 and
// of 2 restgate instances on this machine. The load generator has one source address, so the
// template's `balance source` would send everything to one instance: W5 renders it with
// `balance roundrobin` (what many devices on many addresses give on average). Reports the CPU of
// every instance and of HAProxy per answered request: the capacity model's inputs (docs/SCALE-OUT.md).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { load } from './loadgen.mjs'
import { cpuSeconds, freePort, machineCpuSeconds, memoryMb, startProcess, stopProcess } from './procs.mjs'
import { median } from './report.mjs'
import { startGateway } from './servers.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Why W5 cannot run here, or undefined. */
export function haproxyMissing() {
  const r = spawnSync('haproxy', ['-v'], { stdio: 'ignore' })
  return r.error || r.status !== 0 ? 'haproxy is not installed (apt-get install haproxy)' : undefined
}

async function startHaproxy(servers) {
  const dir = mkdtempSync(join(tmpdir(), 'restgate-bench-haproxy-'))
  const port = await freePort()
  const cfg = readFileSync(join(root, 'deploy/haproxy/haproxy.cfg.tmpl'), 'utf8')
    .replaceAll('@BIND@', `127.0.0.1:${port}`)
    .replaceAll('@CHECK_INTER@', '1s')
    .replace(/^\s*balance source$/m, '    balance roundrobin')
    .replace(/^@SERVERS@\n/m, servers.map((s, i) => `    server rg${i + 1} 127.0.0.1:${s}\n`).join(''))
  const file = join(dir, 'haproxy.cfg')
  writeFileSync(file, cfg)
  const proc = await startProcess(['-db', '-f', file], { command: 'haproxy', ready: null, waitForPort: port, name: 'haproxy' })
  return { ...proc, url: `http://127.0.0.1:${port}/my_devices`, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** One W5 row: `instances` restgate processes (memory storage) behind HAProxy at `connections`. */
export async function measureScaleOut(ctx, instances, { connections, duration, runs, warmup, devices = 1000, ncpu, quiet }) {
  const { tool, counter, broker } = ctx
  const gateways = []
  let lb
  try {
    for (let i = 0; i < instances; i++) gateways.push(await startGateway({ brokerPort: broker.port }))
    lb = await startHaproxy(gateways.map((g) => Number(new URL(g.url).port)))
    await load(tool, { url: lb.url, connections, duration: warmup, devices })
    await counter.settle(Infinity, { idleMs: 500 })
    const samples = []
    for (let r = 0; r < runs; r++) {
      await quiet({ counter, broker }, { pid: lb.pid })
      await counter.reset()
      const pids = [...gateways.map((g) => g.pid), lb.pid, broker.pid, counter.pid]
      const c0 = pids.map(cpuSeconds)
      const m0 = machineCpuSeconds()
      const t0 = Date.now()
      const res = await load(tool, { url: lb.url, connections, duration, devices })
      const got = await counter.settle(res.ok * 2)
      const wall = (Math.max(got.lastAt ?? 0, t0 + res.seconds * 1000) - t0) / 1000
      const m1 = machineCpuSeconds()
      const cores = pids.map((pid, i) => (cpuSeconds(pid) - c0[i]) / wall)
      const inst = cores.slice(0, instances)
      const [haproxy, brokerCpu, counterCpu] = cores.slice(instances)
      const busy = (m1.busy - m0.busy) / (m1.total - m0.total)
      const ours = cores.reduce((a, b) => a + b, 0) + res.loadgenCpu * (res.seconds / wall)
      samples.push({
        ...res,
        delivered: got.datapoints,
        lost: Math.max(0, res.ok * 2 - got.datapoints),
        instances: inst,
        haproxy,
        broker: brokerCpu,
        counter: counterCpu,
        loadgen: res.loadgenCpu,
        other: Math.max(0, busy * ncpu - ours),
        machineBusy: busy,
        usPerRequest: res.ok > 0 ? (inst.reduce((a, b) => a + b, 0) * wall * 1e6) / res.ok : undefined,
        haproxyUsPerRequest: res.ok > 0 ? (haproxy * wall * 1e6) / res.ok : undefined,
      })
    }
    const pick = (f) => median(samples.map(f))
    const row = {
      label: `restgate ×${instances} via HAProxy`,
      broker: broker.name,
      connections,
      instances,
      rps: pick((s) => s.rps),
      p50: pick((s) => s.p50),
      p99: pick((s) => s.p99),
      lost: samples.reduce((a, s) => a + s.lost, 0),
      errors: samples.reduce((a, s) => a + s.errors + s.non2xx, 0),
      cpu: {
        instances: Array.from({ length: instances }, (_, i) => pick((s) => s.instances[i])),
        haproxy: pick((s) => s.haproxy),
        broker: pick((s) => s.broker),
        loadgen: pick((s) => s.loadgen),
        counter: pick((s) => s.counter),
        other: pick((s) => s.other),
        machineBusy: pick((s) => s.machineBusy),
      },
      serverUsPerRequest: pick((s) => s.usPerRequest),
      haproxyUsPerRequest: pick((s) => s.haproxyUsPerRequest),
      peakRssMb: Math.max(...gateways.map((g) => memoryMb(g.pid).peak)),
      runs: samples.length,
      samples,
    }
    const f = (x, d = 0) => (x === undefined ? '-' : x.toFixed(d))
    console.log(
      `  ${row.label.padEnd(30)} c=${String(connections).padEnd(4)}${f(row.rps).padStart(7)} req/s  p50 ${f(row.p50, 2)} ms  p99 ${f(row.p99, 2)} ms  lost ${row.lost}  errors ${row.errors}\n` +
        `  ${''.padEnd(30)} cpu (cores): restgate ${row.cpu.instances.map((c) => f(c, 2)).join(' + ')} (${f(row.serverUsPerRequest, 1)} µs/req)  haproxy ${f(row.cpu.haproxy, 2)} (${f(row.haproxyUsPerRequest, 1)} µs/req)  ` +
        `broker ${f(row.cpu.broker, 2)}  load generator ${f(row.cpu.loadgen, 2)}  counter ${f(row.cpu.counter, 2)}  other ${f(row.cpu.other, 2)}  machine busy ${f(row.cpu.machineBusy * 100)} %`,
    )
    return row
  } finally {
    if (lb) {
      await stopProcess(lb)
      lb.cleanup()
    }
    for (const g of gateways) {
      await stopProcess(g)
      g.cleanup()
    }
  }
}
