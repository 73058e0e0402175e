// restgate benchmark suite (`pnpm bench`). Not part of the test suite.
//
// W1  the docs' payload with basic auth to /my_devices of the docs' config, 1000 device names,
//     concurrency 32 and 128, against restgate (memory storage) and two baselines on the same
//     machine: a bare node:http JSON server, and node:http + one QoS 1 mqtt.js publish per request.
// W2  1 vs 1000 mappings (routing cost).   W3  100 000 distinct device names (per-device memory).
// W4  W1 at concurrency 32 with `file` and `sqlite` storage.
// Every run counts the datapoints that actually reach an MQTT subscriber.
//
// Env: BENCH_DURATION (s, default 10), BENCH_RUNS (default 3, the median is reported),
//      BENCH_ONLY (comma list of W1,W2,W3,W4), BENCH_W3_DEVICES (default 100000).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCounter, load } from './lib/load.mjs'
import { cpuSeconds, freePort, memoryMb, startProcess, stopProcess } from './lib/procs.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const ONLY = new Set((process.env.BENCH_ONLY ?? 'W1,W2,W3,W4').split(','))
const W3_DEVICES = Number(process.env.BENCH_W3_DEVICES ?? 100_000)
const WARMUP = Math.min(3, DURATION)

const median = (xs) => {
  const s = xs.toSorted((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Writes a tb_gateway.json + rest.json (the docs' example, or N copies of /my_devices). */
function writeGatewayConfig({ brokerPort, httpPort, storage = 'memory', mappings }) {
  const dir = mkdtempSync(join(tmpdir(), 'restgate-bench-'))
  const docs = JSON.parse(readFileSync(join(root, 'examples/quickstart/rest.json'), 'utf8'))
  docs.port = String(httpPort)
  if (mappings) {
    const template = docs.mapping[0]
    docs.mapping = Array.from({ length: mappings }, (_, i) => ({ ...template, endpoint: i === mappings - 1 ? '/my_devices' : `/m${i}` }))
  }
  writeFileSync(join(dir, 'rest.json'), JSON.stringify(docs, null, 2))
  cpSync(join(root, 'examples/quickstart/extensions'), join(dir, 'extensions'), { recursive: true })
  mkdirSync(join(dir, 'data'))
  writeFileSync(
    join(dir, 'tb_gateway.json'),
    JSON.stringify({
      thingsboard: { host: '127.0.0.1', port: brokerPort, qos: 1, security: { type: 'accessToken', accessToken: 'bench' } },
      storage: { type: storage, max_records_count: 1_000_000, read_records_count: 1000, data_folder_path: './data/', data_file_path: './data/', max_file_count: 100, max_records_per_file: 100_000 },
      connectors: [{ type: 'rest', name: 'REST Connector', configuration: 'rest.json' }],
    }),
  )
  return dir
}

async function startGateway(opts) {
  const httpPort = await freePort()
  const dir = writeGatewayConfig({ ...opts, httpPort })
  const proc = await startProcess([join(root, 'apps/gateway/bin/restgate.js'), '--config', join(dir, 'tb_gateway.json'), '--log-level', 'warn'], {
    ready: /^restgate: sending to ThingsBoard/,
    name: 'restgate',
  })
  return { ...proc, url: `http://127.0.0.1:${httpPort}/my_devices`, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

async function startBaseline(file, brokerPort) {
  const proc = await startProcess([join(here, 'lib', file)], { env: { BROKER_PORT: String(brokerPort) }, name: file })
  return { ...proc, url: `http://127.0.0.1:${proc.port}/my_devices`, cleanup: () => {} }
}

/**
 * Warms the server up, then runs RUNS measurements; reports medians plus the process's CPU
 * (cores used during the measured runs) and peak RSS.
 */
async function measure(label, server, counter, { connections, devices = 1000, amount, runs = RUNS, delivered = true }) {
  await load({ url: server.url, connections, duration: WARMUP, devices })
  await counter.settle(Infinity, 500)
  const samples = []
  for (let r = 0; r < runs; r++) {
    counter.reset()
    const cpu0 = cpuSeconds(server.pid)
    const t0 = performance.now()
    const res = await load({ url: server.url, connections, duration: DURATION, amount, devices })
    const expected = res.ok * 2
    const got = delivered ? await counter.settle(expected) : expected
    const wall = (Math.max(counter.counter.lastAt, t0 + res.seconds * 1000) - t0) / 1000
    const cpu = (cpuSeconds(server.pid) - cpu0) / wall
    samples.push({ ...res, expected, delivered: got, dpsDelivered: got / wall, cpu })
  }
  const mem = memoryMb(server.pid)
  const pick = (k) => median(samples.map((s) => s[k]))
  const row = {
    label,
    connections,
    rps: pick('rps'),
    p50: pick('p50'),
    p99: pick('p99'),
    dps: pick('dpsDelivered'),
    lost: samples.reduce((a, s) => a + Math.max(0, s.expected - s.delivered), 0),
    errors: samples.reduce((a, s) => a + s.errors + s.non2xx, 0),
    cpu: pick('cpu'),
    peakRssMb: mem.peak,
    rssMb: mem.current,
    runs: samples.length,
    samples,
  }
  console.log(
    `  ${label.padEnd(34)} c=${String(connections).padEnd(4)} ${row.rps.toFixed(0).padStart(7)} req/s  p50 ${row.p50.toFixed(1)} ms  p99 ${row.p99.toFixed(1)} ms  ` +
      `${row.dps.toFixed(0)} dp/s delivered  lost ${row.lost}  errors ${row.errors}  cpu ${row.cpu.toFixed(2)}  peak RSS ${row.peakRssMb.toFixed(0)} MB`,
  )
  return row
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

async function main() {
  const broker = await startProcess([join(here, 'lib/broker.mjs')], { name: 'broker' })
  const counter = await createCounter(broker.port)
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version }
  console.log(`restgate bench: ${machine.cpus} × ${machine.cpuModel}, ${machine.memGb} GiB, Node ${machine.node}; ${RUNS} runs × ${DURATION} s, medians\n`)
  const rows = []
  try {
    if (ONLY.has('W1')) {
      console.log('W1: docs payload, basic auth, 1000 devices')
      for (const c of [32, 128]) {
        rows.push({ w: 'W1', ...(await withServer(() => startBaseline('baseline-bare.mjs', broker.port), (s) => measure('baseline: bare node:http', s, counter, { connections: c, delivered: false }))) })
        rows.push({ w: 'W1', ...(await withServer(() => startBaseline('baseline-publish.mjs', broker.port), (s) => measure('baseline: publish per request', s, counter, { connections: c }))) })
        rows.push({ w: 'W1', ...(await withServer(() => startGateway({ brokerPort: broker.port }), (s) => measure('restgate (memory)', s, counter, { connections: c }))) })
      }
    }
    if (ONLY.has('W2')) {
      console.log('W2: routing cost, 1 vs 1000 mappings (c=32)')
      for (const m of [1, 1000]) {
        rows.push({ w: 'W2', ...(await withServer(() => startGateway({ brokerPort: broker.port, mappings: m }), (s) => measure(`restgate, ${m} mapping(s)`, s, counter, { connections: 32 }))) })
      }
    }
    if (ONLY.has('W3')) {
      console.log(`W3: ${W3_DEVICES} distinct device names (c=32)`)
      rows.push({ w: 'W3', ...(await withServer(() => startGateway({ brokerPort: broker.port }), (s) => measure('restgate, 1000 devices', s, counter, { connections: 32, runs: 1 }))) })
      rows.push({
        w: 'W3',
        ...(await withServer(() => startGateway({ brokerPort: broker.port }), (s) =>
          measure(`restgate, ${W3_DEVICES} devices`, s, counter, { connections: 32, devices: W3_DEVICES, amount: W3_DEVICES, runs: 1 }),
        )),
      })
    }
    if (ONLY.has('W4')) {
      console.log('W4: storage backends (c=32)')
      for (const storage of ['memory', 'file', 'sqlite']) {
        rows.push({ w: 'W4', ...(await withServer(() => startGateway({ brokerPort: broker.port, storage }), (s) => measure(`restgate (${storage})`, s, counter, { connections: 32 }))) })
      }
    }
  } finally {
    await counter.close()
    await stopProcess(broker)
  }
  const summary = summarise(rows)
  const out = join(here, 'results')
  mkdirSync(out, { recursive: true })
  const file = join(out, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify({ machine, duration: DURATION, runs: RUNS, rows, summary }, null, 2))
  console.log(`\nresults written to ${file}`)
}

function summarise(rows) {
  const find = (w, label, c) => rows.find((r) => r.w === w && r.label === label && r.connections === c)
  const lines = []
  const summary = {}
  for (const c of [32, 128]) {
    const bare = find('W1', 'baseline: bare node:http', c)
    const pub = find('W1', 'baseline: publish per request', c)
    const rg = find('W1', 'restgate (memory)', c)
    if (!bare || !pub || !rg) continue
    summary[`c${c}`] = { vsPublish: rg.rps / pub.rps, vsBare: rg.rps / bare.rps, p99: rg.p99, peakRssMb: rg.peakRssMb, lost: rg.lost }
    lines.push(`W1 c=${c}: restgate ÷ publish-per-request = ${(rg.rps / pub.rps).toFixed(2)} (target ≥ 1.5); restgate ÷ bare = ${(rg.rps / bare.rps).toFixed(2)} (target ≥ 0.5); p99 ${rg.p99.toFixed(1)} ms; peak RSS ${rg.peakRssMb.toFixed(0)} MB; lost ${rg.lost}`)
  }
  const m1 = find('W2', 'restgate, 1 mapping(s)', 32)
  const m1000 = find('W2', 'restgate, 1000 mapping(s)', 32)
  if (m1 && m1000) {
    summary.w2 = { ratio: m1000.rps / m1.rps }
    lines.push(`W2: 1000 mappings ÷ 1 mapping = ${(m1000.rps / m1.rps).toFixed(3)} (target within 10 %)`)
  }
  const d1 = rows.find((r) => r.w === 'W3' && r.label === 'restgate, 1000 devices')
  const dN = rows.find((r) => r.w === 'W3' && r.label === `restgate, ${W3_DEVICES} devices`)
  if (d1 && dN) {
    const perDevice = ((dN.peakRssMb - d1.peakRssMb) * 2 ** 20) / (W3_DEVICES - 1000)
    summary.w3 = { peakRss1000: d1.peakRssMb, peakRssN: dN.peakRssMb, bytesPerDevice: perDevice }
    lines.push(`W3: peak RSS ${d1.peakRssMb.toFixed(0)} MB (1000 devices) → ${dN.peakRssMb.toFixed(0)} MB (${W3_DEVICES}); ≈ ${perDevice.toFixed(0)} bytes per extra device`)
  }
  const mem = find('W4', 'restgate (memory)', 32)
  for (const kind of ['file', 'sqlite']) {
    const r = find('W4', `restgate (${kind})`, 32)
    if (mem && r) {
      summary[`w4_${kind}`] = { ratio: r.rps / mem.rps }
      lines.push(`W4: ${kind} ÷ memory = ${(r.rps / mem.rps).toFixed(2)}${kind === 'sqlite' ? ' (target ≥ 0.7)' : ''}`)
    }
  }
  console.log('\nSummary\n' + lines.map((l) => '  ' + l).join('\n'))
  return summary
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
