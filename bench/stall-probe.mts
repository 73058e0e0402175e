// How long small requests wait while BIG (default 4) array bodies of ELEMENTS (default 30 000) small
// objects are processed by the real gateway CLI process (the built bin: `pnpm build` first) and a sandbox broker: prints
// the probes' p50/p99/max latency and when each big body was answered. Wall-clock figures: run it
// on a quiet machine. PROF=1 writes a CPU profile of the gateway to /tmp/restgate-stall-prof.
//   node --conditions=@restgate/source --import tsx bench/stall-probe.mts
//   ELEMENTS=10000 BIG=4 node --conditions=@restgate/source --import tsx bench/stall-probe.mts
import { freePort, runCli, startSandbox, writeConfigFolder } from '../apps/gateway/test/_harness.ts'

const N = Number(process.env.BIG ?? 4)
const sandbox = await startSandbox()
const port = await freePort()
const folder = writeConfigFolder({
  brokerPort: sandbox.port,
  storage: { type: 'memory', max_records_count: 1_000_000, read_records_count: 100 },
  connectors: {
    'rest.json': {
      server: { host: '127.0.0.1', port, maxArrayElements: Number(process.env.ELEMENTS ?? 30_000), maxJsonKeys: 1_000_000 },
      mapping: [
        {
          endpoint: '/bulk',
          HTTPMethods: ['POST'],
          security: { type: 'anonymous' },
          converter: {
            type: 'json',
            deviceInfo: {
              deviceNameExpressionSource: 'request',
              deviceNameExpression: '${name}',
              deviceProfileExpressionSource: 'constant',
              deviceProfileExpression: 'default',
            },
            timeseries: [{ type: 'int', key: 'i', value: '${i}' }],
          },
        },
      ],
      requestsMapping: {},
    },
  },
})
import { spawn } from 'node:child_process'
let cli: { child: ReturnType<typeof spawn>; exited: Promise<unknown>; waitForOutput(re: RegExp, ms: number): Promise<unknown> }
if (process.env.PROF) {
  const child = spawn(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir=/tmp/restgate-stall-prof', new URL('../apps/gateway/bin/restgate.js', import.meta.url).pathname, '--config', folder.file],
    { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  const exited = new Promise((r) => child.once('exit', r))
  cli = {
    child,
    exited,
    waitForOutput: (re) =>
      new Promise((res) =>
        child.stdout!.on('data', (d) => {
          out += d
          if (re.test(out)) res(undefined)
        }),
      ),
  }
} else cli = runCli(['--config', folder.file])
await cli.waitForOutput(/sending to ThingsBoard/, 60_000)
const base = `http://127.0.0.1:${port}`
const json = { 'content-type': 'application/json' }
const big = JSON.stringify(Array.from({ length: Number(process.env.ELEMENTS ?? 30_000) }, (_, i) => ({ name: `B${i % 100}`, i })))
// warm up
for (let i = 0; i < 200; i++) await fetch(`${base}/bulk`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'W', i }) })
const state = { left: N }
const t0 = performance.now()
const bigs = Array.from({ length: N }, () =>
  fetch(`${base}/bulk`, { method: 'POST', headers: json, body: big }).then(async (r) => {
    const ms = performance.now() - t0
    state.left--
    return { status: r.status, ms: Math.round(ms), body: (await r.text()).slice(0, 80) }
  }),
)
const lat: number[] = []
for (let n = 0; state.left > 0; n++) {
  const s = performance.now()
  const r = await fetch(`${base}/bulk`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'SMALL', i: n }) })
  await r.text()
  lat.push(performance.now() - s)
}
const done = await Promise.all(bigs)
lat.sort((a, b) => a - b)
const q = (p: number): string => (lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0).toFixed(1)
console.log(JSON.stringify({ big: N, bigAnswers: done, probes: lat.length, p50ms: q(0.5), p99ms: q(0.99), maxMs: (lat.at(-1) ?? 0).toFixed(1) }))
cli.child.kill('SIGTERM')
await cli.exited
await sandbox.stop()
folder.cleanup()
