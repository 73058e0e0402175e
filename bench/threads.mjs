// Per-thread CPU of the gateway under the W1 load (c=32 by default): shows whether the main thread
// is saturated or waiting (e.g. on a storage commit). Usage: BENCH_STORAGE=sqlite node bench/threads.mjs [aedes|mosquitto]
import { readdirSync, readFileSync } from 'node:fs'
import { startBroker } from './lib/brokers.mjs'
import { createCounter } from './lib/counter-client.mjs'
import { chooseLoadGenerator, load } from './lib/loadgen.mjs'
import { memoryMb, stopProcess } from './lib/procs.mjs'
import { startGateway } from './lib/servers.mjs'

const duration = Number(process.env.BENCH_DURATION ?? 10)
const connections = Number(process.env.BENCH_CONCURRENCY ?? 32)
const { tool } = chooseLoadGenerator()
const broker = await startBroker(process.argv[2] ?? 'aedes')
const counter = await createCounter(broker.port)
const gw = await startGateway({
  brokerPort: broker.port,
  storage: process.env.BENCH_STORAGE ?? 'memory',
  nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
})

/** CPU seconds per thread (name → seconds) of `pid`. */
function threads(pid) {
  const out = {}
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const key = tid === String(pid) ? 'main' : name
    out[key] = (out[key] ?? 0) + (Number(f[11]) + Number(f[12])) / 100
  }
  return out
}
try {
  console.log(`gateway RSS before the first request: ${JSON.stringify(memoryMb(gw.pid))}`)
  await load(tool, { url: gw.url, connections, duration: 3, devices: 1000 })
  await counter.settle(Infinity, { idleMs: 500 })
  const a = threads(gw.pid)
  const t0 = Date.now()
  const r = await load(tool, { url: gw.url, connections, duration, devices: 1000 })
  const wall = (Date.now() - t0) / 1000
  const b = threads(gw.pid)
  console.log(
    `${tool} c=${connections} ${process.env.BENCH_STORAGE ?? 'memory'}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50?.toFixed?.(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
  )
  console.log(`  memory (MB): ${JSON.stringify(memoryMb(gw.pid))}`)
  for (const k of Object.keys(b)) {
    const cores = (b[k] - (a[k] ?? 0)) / wall
    if (cores > 0.005) console.log(`  ${k.padEnd(16)} ${cores.toFixed(3)} cores  ${((cores * 1e6) / r.rps).toFixed(1)} µs/req`)
  }
} finally {
  await stopProcess(gw)
  gw.cleanup()
  await counter.close()
  await broker.stop()
}
