// restgate benchmark suite (`pnpm bench`). Not part of the test suite.
//
// W1  the docs' payload with basic auth to /my_devices of the docs' config, 1000 device names, at
//     concurrency 1, 32 and 128, against restgate (memory storage) and two baselines on the same
//     machine: a bare node:http JSON server, and node:http + one QoS 1 mqtt.js publish per request.
//     Run once per broker: aedes (always) and mosquitto (when installed).
// W2  1 vs 1000 mappings (routing cost).   W3  100 000 distinct device names (per-device memory).
// W4  W1 at concurrency 32 (the target) and 128 with `memory`, `file` and `sqlite` storage.
// W5  W1 at concurrency 32 through HAProxy (deploy/haproxy, round-robin) to 1 and to 2 restgate
//     instances: CPU per request of each instance and of HAProxy (needs Debian's `haproxy`).
// W6  downlink: shared-attribute updates MQTT in → HTTP out against a fast local target, 1 key and
//     1000 keys per update: updates/s, requests/s, CPU per update/request, peak RSS (lib/downlink.mjs).
// Every run counts the datapoints that actually reach an MQTT subscriber (its own process), and
// samples the CPU of every process involved, so a saturated load generator or broker shows.
//
// Env: BENCH_DURATION (s, default 10), BENCH_RUNS (default 3, the median is reported),
//      BENCH_ONLY (comma list of W1,W2,W3,W4,W5,W6), BENCH_W6_UPDATES / BENCH_W6_WIDE_UPDATES, BENCH_W3_DEVICES (default 100000),
//      BENCH_CONCURRENCY (W1, default 1,32,128), BENCH_W4_CONCURRENCY (default 32,128), BENCH_LOADGEN (wrk|autocannon; default wrk when
//      installed), BENCH_BROKERS (aedes,mosquitto; default both when mosquitto is installed),
//      BENCH_QUIET_WAIT (s to wait for an otherwise idle machine before each run, default 120).
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chooseBrokers, startBroker } from './lib/brokers.mjs'
import { createCounter } from './lib/counter-client.mjs'
import { deviceStateCost } from './lib/device-cost.mjs'
import { runDownlink } from './lib/downlink.mjs'
import { startBaseline, startGateway } from './lib/servers.mjs'
import { chooseLoadGenerator, load } from './lib/loadgen.mjs'
import { cpuSeconds, machineCpuSeconds, memoryMb, stopProcess } from './lib/procs.mjs'
import { formatRow, median, summarise } from './lib/report.mjs'
import { haproxyMissing, measureScaleOut } from './lib/scale-out.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const ONLY = new Set((process.env.BENCH_ONLY ?? 'W1,W2,W3,W4,W5,W6').split(','))
const W3_DEVICES = Number(process.env.BENCH_W3_DEVICES ?? 100_000)
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,32,128').split(',').map(Number)
const W4_CONCURRENCY = (process.env.BENCH_W4_CONCURRENCY ?? '32,128').split(',').map(Number)
const WARMUP = Math.min(3, DURATION)
const NCPU = cpus().length
const QUIET_WAIT = Number(process.env.BENCH_QUIET_WAIT ?? 120)

/**
 * Warms the server up, then runs `runs` measurements; reports medians, the CPU (cores) of every
 * process during the measured runs, and the server's peak RSS.
 */
async function measure(ctx, label, server, { connections, devices = 1000, amount, runs = RUNS, delivered = true, warmup = true }) {
  const { tool, counter, broker } = ctx
  if (warmup) {
    await load(tool, { url: server.url, connections, duration: WARMUP, devices })
    await counter.settle(Infinity, { idleMs: 500 })
  }
  const samples = []
  for (let r = 0; r < runs; r++) {
    await quietMachine(ctx, server)
    await counter.reset()
    const pids = { server: server.pid, broker: broker.pid, counter: counter.pid }
    const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]))
    const m0 = machineCpuSeconds()
    const t0 = Date.now()
    const res = await load(tool, { url: server.url, connections, duration: DURATION, amount, devices })
    const expected = res.ok * 2
    const got = delivered ? await counter.settle(expected) : undefined
    const end = Math.max(got?.lastAt ?? 0, t0 + res.seconds * 1000)
    const wall = (end - t0) / 1000
    const m1 = machineCpuSeconds()
    const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (cpuSeconds(pid) - cpu0[k]) / wall]))
    const machineBusy = (m1.busy - m0.busy) / (m1.total - m0.total)
    // CPU used by anything else on the machine (other jobs skew a run: it is printed)
    const other = Math.max(0, machineBusy * NCPU - cpu.server - cpu.broker - cpu.counter - res.loadgenCpu * (res.seconds / wall))
    samples.push({
      ...res,
      expected,
      delivered: got?.datapoints,
      messages: got?.messages,
      dpsDelivered: got ? got.datapoints / wall : undefined,
      cpu: { ...cpu, loadgen: res.loadgenCpu, other, machineBusy },
      serverUsPerRequest: res.ok > 0 ? (cpu.server * wall * 1e6) / res.ok : undefined,
    })
  }
  const mem = memoryMb(server.pid)
  const pick = (f) => median(samples.map(f))
  const row = {
    label,
    broker: broker.name,
    connections,
    rps: pick((s) => s.rps),
    p50: pick((s) => s.p50),
    p99: pick((s) => s.p99),
    dps: delivered ? pick((s) => s.dpsDelivered) : undefined,
    datapointsPerMessage: delivered ? pick((s) => (s.messages ? s.delivered / s.messages : 0)) : undefined,
    lost: delivered ? samples.reduce((a, s) => a + Math.max(0, s.expected - s.delivered), 0) : undefined,
    errors: samples.reduce((a, s) => a + s.errors + s.non2xx, 0),
    cpu: Object.fromEntries(Object.keys(samples[0].cpu).map((k) => [k, pick((s) => s.cpu[k])])),
    serverUsPerRequest: pick((s) => s.serverUsPerRequest),
    peakRssMb: mem.peak,
    rssMb: mem.current,
    runs: samples.length,
    samples,
  }
  console.log(formatRow(row))
  return row
}

/**
 * Waits (up to BENCH_QUIET_WAIT s, default 120) until the machine is idle apart from the bench's
 * own processes (other jobs on a shared machine skew a run); a run that starts on a busy machine
 * says so (the `other` CPU of its row).
 */
async function quietMachine({ counter, broker }, server) {
  const deadline = Date.now() + QUIET_WAIT * 1000
  for (;;) {
    const pids = [server.pid, broker.pid, counter.pid]
    const c0 = pids.reduce((a, pid) => a + cpuSeconds(pid), 0)
    const m0 = machineCpuSeconds()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const m1 = machineCpuSeconds()
    const ours = pids.reduce((a, pid) => a + cpuSeconds(pid), 0) - c0
    const others = ((m1.busy - m0.busy) / (m1.total - m0.total)) * NCPU - ours / ((m1.total - m0.total) / NCPU)
    if (others < 0.1) return
    if (Date.now() > deadline) {
      console.log(`  (the machine stayed busy with other work: ${others.toFixed(2)} cores; measuring anyway)`)
      return
    }
  }
}

async function withServer(start, fn) {
  const server = await start()
  try {
    return await fn(server)
  } finally {
    await stopProcess(server)
    server.cleanup()
  }
}

async function runBroker(name, { tool, all, rows }) {
  const broker = await startBroker(name)
  const counter = await createCounter(broker.port)
  const ctx = { tool, counter, broker }
  const gw = (opts) => () => startGateway({ brokerPort: broker.port, ...opts })
  const add = (w, row) => rows.push({ w, ...row })
  try {
    if (ONLY.has('W1')) {
      console.log(`W1 [${name}]: docs payload, basic auth, 1000 devices`)
      for (const c of CONCURRENCY) {
        add(
          'W1',
          await withServer(
            () => startBaseline('baseline-bare.mjs', broker.port),
            (s) => measure(ctx, 'baseline: bare node:http', s, { connections: c, delivered: false }),
          ),
        )
        add(
          'W1',
          await withServer(
            () => startBaseline('baseline-publish.mjs', broker.port),
            (s) => measure(ctx, 'baseline: publish per request', s, { connections: c }),
          ),
        )
        add('W1', await withServer(gw({}), (s) => measure(ctx, 'restgate (memory)', s, { connections: c })))
      }
    }
    if (!all) return
    if (ONLY.has('W2')) {
      console.log(`W2 [${name}]: routing cost, 1 vs 1000 mappings (c=32)`)
      for (const m of [1, 1000]) add('W2', await withServer(gw({ mappings: m }), (s) => measure(ctx, `restgate, ${m} mapping(s)`, s, { connections: 32 })))
    }
    if (ONLY.has('W3')) {
      console.log(`W3 [${name}]: ${W3_DEVICES} requests over 1000 vs ${W3_DEVICES} distinct device names (c=32, fresh gateway each)`)
      for (const devices of [1000, W3_DEVICES]) {
        add(
          'W3',
          await withServer(gw({}), (s) =>
            measure(ctx, `restgate, ${devices} devices`, s, { connections: 32, devices, amount: W3_DEVICES, runs: 1, warmup: false }),
          ),
        )
      }
    }
    if (ONLY.has('W4')) {
      console.log(`W4 [${name}]: storage backends (c=${W4_CONCURRENCY.join(', c=')})`)
      for (const storage of ['memory', 'file', 'sqlite']) {
        await withServer(gw({ storage }), async (s) => {
          for (const connections of W4_CONCURRENCY) add('W4', await measure(ctx, `restgate (${storage})`, s, { connections }))
        })
      }
    }
    if (ONLY.has('W5')) {
      const missing = haproxyMissing()
      if (missing) console.log(`W5 skipped: ${missing}`)
      else {
        console.log(`W5 [${name}]: W1 through HAProxy (round-robin) to 1 and 2 restgate instances (memory), c=32`)
        const opts = { connections: 32, duration: DURATION, runs: RUNS, warmup: WARMUP, ncpu: NCPU, quiet: quietMachine }
        for (const n of [1, 2]) add('W5', await measureScaleOut(ctx, n, opts))
      }
    }
  } finally {
    await counter.close()
    await broker.stop()
  }
}

async function main() {
  const { tool, why: toolWhy } = chooseLoadGenerator()
  const brokers = chooseBrokers()
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version }
  console.log(`restgate bench: ${machine.cpus} × ${machine.cpuModel}, ${machine.memGb} GiB, Node ${machine.node}; ${RUNS} runs × ${DURATION} s, medians`)
  console.log(`load generator: ${tool} (${toolWhy}); brokers: ${brokers.list.join(', ')} (${brokers.why}; W2–W4 on ${brokers.list[0]})\n`)
  const rows = []
  if ([...ONLY].some((w) => w !== 'W6')) for (const [i, name] of brokers.list.entries()) await runBroker(name, { tool, all: i === 0, rows })
  if (ONLY.has('W6')) {
    console.log('W6: downlink, attribute updates MQTT in → HTTP out (sandbox broker, fast local target, built CLI)')
    for (const row of await runDownlink()) rows.push({ w: 'W6', ...row })
  }
  const deviceCost = ONLY.has('W3') ? await deviceStateCost() : undefined
  const summary = summarise(rows, { w3Devices: W3_DEVICES, deviceCost })
  const out = join(here, 'results')
  mkdirSync(out, { recursive: true })
  const file = join(out, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify({ machine, loadGenerator: tool, brokers: brokers.list, duration: DURATION, runs: RUNS, rows, summary }, null, 2))
  console.log(`\nresults written to ${file}`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
