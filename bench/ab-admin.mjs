// A/B of the admin endpoint's cost (`node bench/ab-admin.mjs`, after `pnpm build`): restgate on the
// W1 docs payload at c=32 with and without the admin endpoint (metrics hooks on the request path,
// /metrics scraped every second), alternating, AB_ROUNDS (default 3) × AB_DURATION s (default 10).
// Prints requests/s, p99 and the gateway's CPU µs per request of each run and their medians.
// Needs a quiet machine to say anything: compare the CPU per request first. AB_SCRAPE=0: no scraping.
import { startBroker } from './lib/brokers.mjs'
import { load } from './lib/loadgen.mjs'
import { cpuSeconds, freePort, stopProcess } from './lib/procs.mjs'
import { startGateway } from './lib/servers.mjs'

const broker = await startBroker('aedes')
const results = { off: [], on: [] }
const ROUNDS = Number(process.env.AB_ROUNDS ?? 3)
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of round % 2 ? ['on', 'off'] : ['off', 'on']) {
    const adminPort = mode === 'on' ? await freePort() : undefined
    const gw = await startGateway({ brokerPort: broker.port, adminPort })
    // Prometheus scrapes every 15 s or so; scrape every second here to include the scrape's own cost
    const scraper =
      adminPort &&
      process.env.AB_SCRAPE !== '0' &&
      setInterval(
        () =>
          fetch(`http://127.0.0.1:${adminPort}/metrics`)
            .then((r) => r.text())
            .catch(() => {}),
        1000,
      )
    await load('autocannon', { url: gw.url, connections: 32, duration: 3, devices: 1000 })
    const cpu0 = cpuSeconds(gw.pid)
    const res = await load('autocannon', { url: gw.url, connections: 32, duration: Number(process.env.AB_DURATION ?? 10), devices: 1000 })
    res.cpuUsPerReq = ((cpuSeconds(gw.pid) - cpu0) * 1e6) / res.ok
    clearInterval(scraper)
    results[mode].push({ rps: res.rps, p99: res.p99, cpu: res.cpuUsPerReq })
    console.log(mode, JSON.stringify({ rps: Math.round(res.rps), p99: res.p99, ok: res.ok, cpuUsPerReq: Math.round(res.cpuUsPerReq) }))
    await stopProcess(gw)
    gw.cleanup()
  }
}
const med = (a) => a.toSorted((x, y) => x - y)[Math.floor(a.length / 2)]
for (const m of ['off', 'on'])
  console.log(
    m,
    'median rps',
    med(results[m].map((x) => x.rps)),
    'median p99',
    med(results[m].map((x) => x.p99)),
    'median CPU µs/request',
    med(results[m].map((x) => x.cpu)),
  )
await broker.stop()
process.exit(0)
