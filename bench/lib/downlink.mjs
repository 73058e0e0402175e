// W6: downlink throughput end to end — shared-attribute updates published by the sandbox (the
// ThingsBoard stand-in, MQTT in) → the built gateway CLI → HTTP requests to a fast local target
// (HTTP out). Reports updates/s and requests/s, the gateway's CPU per update and per request, and
// its peak RSS. One run per shape: 1 key per update, and 1000 keys per update.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSandbox } from '@restgate/sandbox'
import { cpuSeconds, freePort, memoryMb, startProcess, stopProcess } from './procs.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TOKEN = 'bench-downlink'
/** A run that sees no request arrive for this long is stopped with an error. */
const STALL_MS = 30_000

function startTarget() {
  let requests = 0
  let waiter
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      requests++
      if (waiter && requests >= waiter.n) waiter.resolve()
    })
  })
  server.keepAliveTimeout = 60_000
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        count: () => requests,
        // resolves once n requests arrived; rejects when none arrives for STALL_MS meanwhile (the bench stops by itself)
        reached: (n, context = () => '') =>
          requests >= n
            ? Promise.resolve()
            : new Promise((resolve, reject) => {
                let seen = requests
                const check = setInterval(() => {
                  if (requests > seen) seen = requests
                  else {
                    clearInterval(check)
                    waiter = undefined
                    reject(new Error(`W6 stalled: ${requests} of ${n} requests arrived, none in the last ${STALL_MS / 1000} s${context()}`))
                  }
                }, STALL_MS)
                waiter = {
                  n,
                  resolve: () => {
                    clearInterval(check)
                    waiter = undefined
                    resolve()
                  },
                }
              }),
        close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
      }),
    ),
  )
}

async function runShape({ updates, keys }) {
  const sandbox = createSandbox({ port: 0, accessToken: TOKEN, maxMessages: 100 })
  const { port: brokerPort } = await sandbox.start()
  const target = await startTarget()
  const httpPort = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'restgate-bench-downlink-'))
  writeFileSync(
    join(dir, 'rest.json'),
    JSON.stringify({
      server: { host: '127.0.0.1', port: httpPort },
      mapping: [
        {
          endpoint: '/up',
          HTTPMethods: ['POST'],
          security: { type: 'anonymous' },
          converter: {
            type: 'json',
            deviceInfo: { deviceNameExpression: '${name}', deviceProfileExpression: 'p', deviceProfileExpressionSource: 'constant' },
            timeseries: [{ type: 'int', key: 't', value: '${t}' }],
          },
        },
      ],
      attributeUpdates: [
        {
          requestUrlExpression: `${target.url}/\${deviceName}/\${attributeKey}`,
          valueExpression: '{"${attributeKey}":${attributeValue}}',
          httpHeaders: { 'content-type': 'application/json' },
          timeout: 10,
        },
      ],
    }),
  )
  writeFileSync(
    join(dir, 'tb_gateway.json'),
    JSON.stringify({
      thingsboard: { host: '127.0.0.1', port: brokerPort, security: { type: 'accessToken', accessToken: TOKEN } },
      storage: { type: 'memory' },
      connectors: [{ type: 'rest', name: 'REST Connector', configuration: 'rest.json' }],
    }),
  )
  const gw = await startProcess([join(root, 'apps/gateway/bin/restgate.js'), '--config', join(dir, 'tb_gateway.json'), '--log-level', 'warn'], {
    ready: /sending to ThingsBoard/,
    name: 'restgate',
  })
  try {
    // data flows once the session is subscribed: downlink published from then on is received
    await fetch(`http://127.0.0.1:${httpPort}/up`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"probe","t":1}' })
    await sandbox.waitFor((s) => s.devices.get('probe')?.telemetry.length, 15_000)
    const expected = updates * keys
    const stalled = () => `; gateway output:\n${gw.output().slice(-2000)}`
    const cpu0 = cpuSeconds(gw.pid)
    const t0 = performance.now()
    // The sandbox's broker (aedes) pushes everything at once, with no in-flight window, so the bench
    // publishes in batches of at most `batch` updates (~10 000 requests) and waits for their requests
    // before the next batch: it measures throughput, not the drop policy.
    const batch = Math.max(1, Math.min(500, Math.floor(10_000 / keys)))
    for (let u = 0; u < updates; u += batch) {
      const sends = []
      const end = Math.min(updates, u + batch)
      for (let j = u; j < end; j++) {
        const data = {}
        for (let k = 0; k < keys; k++) data[`k${k}`] = j + k
        sends.push(sandbox.sendAttributeUpdate(`D-${j % 100}`, data))
      }
      await Promise.all(sends)
      await target.reached(end * keys, stalled)
    }
    await target.reached(expected, stalled)
    const seconds = (performance.now() - t0) / 1000
    const cpu = cpuSeconds(gw.pid) - cpu0
    const mem = memoryMb(gw.pid)
    return {
      shape: `${updates} updates × ${keys} key${keys === 1 ? '' : 's'}`,
      updatesPerSecond: updates / seconds,
      requestsPerSecond: expected / seconds,
      cpuMsPerUpdate: (cpu * 1000) / updates,
      cpuUsPerRequest: (cpu * 1e6) / expected,
      gatewayCores: cpu / seconds,
      peakRssMb: mem.peak,
      seconds,
    }
  } finally {
    await stopProcess(gw)
    await sandbox.stop()
    await target.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** W6: both shapes, one run each (env BENCH_W6_UPDATES, default 5000; BENCH_W6_WIDE_UPDATES, default 100). */
export async function runDownlink() {
  const rows = []
  rows.push(await runShape({ updates: Number(process.env.BENCH_W6_UPDATES ?? 5000), keys: 1 }))
  rows.push(await runShape({ updates: Number(process.env.BENCH_W6_WIDE_UPDATES ?? 100), keys: 1000 }))
  for (const r of rows) {
    console.log(
      `  ${r.shape.padEnd(26)} ${r.updatesPerSecond.toFixed(0).padStart(7)} updates/s ${r.requestsPerSecond.toFixed(0).padStart(7)} requests/s ` +
        `${r.cpuMsPerUpdate.toFixed(2).padStart(8)} ms CPU/update ${r.cpuUsPerRequest.toFixed(0).padStart(5)} µs CPU/request ` +
        `${r.gatewayCores.toFixed(2)} cores  peak RSS ${r.peakRssMb.toFixed(0)} MB  (${r.seconds.toFixed(1)} s)`,
    )
  }
  return rows
}
