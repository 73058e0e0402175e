// Profiles restgate under the W1 load: starts a broker and the gateway with --cpu-prof, loads it
// (c=32, BENCH_DURATION s, default 10), stops it and prints the top self-time functions.
// Usage: node bench/profile.mjs [aedes|mosquitto]   (after `pnpm build`)
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker } from './lib/brokers.mjs'
import { createCounter } from './lib/counter-client.mjs'
import { summariseProfile } from './lib/cpuprofile.mjs'
import { chooseLoadGenerator, load } from './lib/loadgen.mjs'
import { stopProcess } from './lib/procs.mjs'
import { startGateway } from './lib/servers.mjs'

const duration = Number(process.env.BENCH_DURATION ?? 10)
const connections = Number(process.env.BENCH_CONCURRENCY ?? 32)
const { tool } = chooseLoadGenerator()
const broker = await startBroker(process.argv[2] ?? 'aedes')
const counter = await createCounter(broker.port)
const dir = mkdtempSync(join(tmpdir(), 'restgate-prof-'))
const gw = await startGateway({ brokerPort: broker.port, storage: process.env.BENCH_STORAGE ?? 'memory', nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] })
try {
  const r = await load(tool, { url: gw.url, connections, duration, devices: 1000 })
  const got = await counter.settle(r.ok * 2)
  console.log(
    `${tool} c=${connections}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(2)} ms, ${got.datapoints} of ${r.ok * 2} datapoints delivered in ${got.messages} messages`,
  )
} finally {
  await stopProcess(gw)
  gw.cleanup()
  await counter.close()
  await broker.stop()
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
console.log(`profile: ${join(dir, file)}\n`)
console.log(summariseProfile(join(dir, file), Number(process.env.TOP ?? 40)))
