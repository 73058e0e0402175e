// How long small requests wait while BIG (default 4) array bodies of ELEMENTS (default 30 000)
// small objects are processed by the real gateway CLI process (the built bin: `pnpm build` first)
// and an aedes broker in its own process. Prints the probes' p50/p99/max latency, when each big
// body was answered and the machine's load average; then `gatewayLoop`: the gateway's own event
// loop while the big bodies were in progress (bench/lib/loop-monitor.mjs: every turn's wall and CPU
// time, the count of turns over 10 ms of CPU, and the garbage collector's longest pauses). The
// probes' wall-clock figures also hold the time the OS gave the CPU to other processes: on a
// shared machine read the gateway's CPU per turn. LOOP=0 turns the monitor off; PROF=1 writes a CPU
// profile of the gateway to /tmp/restgate-stall-prof (and keeps the turns file, to find the
// samples of the longest turns); GATEWAY_NODE_OPTIONS passes node flags to the gateway only.
//   node --conditions=@restgate/source --import tsx bench/stall-probe.mts
//   ELEMENTS=10000 BIG=4 node --conditions=@restgate/source --import tsx bench/stall-probe.mts
import { loadavg } from 'node:os'
import { freePort, runCli, writeConfigFolder } from '../apps/gateway/test/_harness.ts'
// the bench's aedes broker runs in its own process: its work on the big bodies' messages must not
// hold up this process's probes (an in-process broker made them wait for it, not for the gateway)
import { startBroker } from './lib/brokers.mjs'

const N = Number(process.env.BIG ?? 4)
const sandbox = await startBroker('aedes')
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
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// LOOP=0 turns off the gateway's event-loop monitor (bench/lib/loop-monitor.mjs)
const monitorDir = process.env.LOOP === '0' ? undefined : mkdtempSync(join(tmpdir(), 'restgate-stall-'))
const monitorFile = monitorDir === undefined ? undefined : join(monitorDir, 'turns.json')
const monitorArgs = monitorFile === undefined ? [] : ['--import', new URL('./lib/loop-monitor.mjs', import.meta.url).href]
const monitorEnv: Record<string, string> = monitorFile === undefined ? {} : { LOOP_MONITOR_FILE: monitorFile }
function stats(list: number[]): Record<string, number> {
  const s = list.toSorted((a, b) => a - b)
  const at = (p: number): number => Number((s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0).toFixed(1))
  return { p50: at(0.5), p99: at(0.99), max: at(1) }
}
/** p50/p99/max (ms) of the gateway's loop turns that ended in [from, to] (process.hrtime ms). */
function loopFigures(from: number, to: number): Record<string, unknown> | undefined {
  if (monitorFile === undefined) return undefined
  const all = JSON.parse(readFileSync(monitorFile, 'utf8')) as { turns: Array<[number, number, number]>; gc: Array<[number, number, string]> }
  const turns = all.turns.filter(([end]) => end >= from && end <= to)
  const gc = all.gc.filter(([end]) => end >= from && end <= to)
  const gcMax = (kind: string): number => Number(Math.max(0, ...gc.filter((g) => g[2] === kind).map((g) => g[1])).toFixed(1))
  return {
    turns: turns.length,
    wallMs: stats(turns.map((t) => t[1])),
    cpuMs: stats(turns.map((t) => t[2])),
    over10msCpu: turns.filter((t) => t[2] > 10).length,
    // the turns during which the collector did not pause the main thread: the longest slice of our own work
    cpuMsNoGc: stats(turns.filter(([end, wall]) => !gc.some(([gcEnd, ms]) => gcEnd - ms < end && gcEnd > end - wall)).map((t) => t[2])),
    gcPauses: gc.length,
    gcMaxMs: { minor: gcMax('minor'), major: gcMax('major') },
  }
}
const hrMs = (): number => Number(process.hrtime.bigint() / 1000n) / 1000
let cli: { child: ReturnType<typeof spawn>; exited: Promise<unknown>; waitForOutput(re: RegExp, ms: number): Promise<unknown> }
if (process.env.PROF) {
  const child = spawn(
    process.execPath,
    [
      ...monitorArgs,
      '--cpu-prof',
      '--cpu-prof-dir=/tmp/restgate-stall-prof',
      new URL('../apps/gateway/bin/restgate.js', import.meta.url).pathname,
      '--config',
      folder.file,
    ],
    { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...monitorEnv } },
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
} else {
  // runCli starts the bin without node flags: the monitor comes in through NODE_OPTIONS
  // GATEWAY_NODE_OPTIONS: node flags for the gateway only (e.g. GC settings to compare)
  const flags = `${process.env.NODE_OPTIONS ?? ''} ${process.env.GATEWAY_NODE_OPTIONS ?? ''} ${monitorArgs.join(' ')}`.trim()
  const nodeOptions = flags === '' ? {} : { NODE_OPTIONS: flags }
  cli = runCli(['--config', folder.file], { ...nodeOptions, ...monitorEnv })
}
await cli.waitForOutput(/sending to ThingsBoard/, 60_000)
const base = `http://127.0.0.1:${port}`
const json = { 'content-type': 'application/json' }
const big = JSON.stringify(Array.from({ length: Number(process.env.ELEMENTS ?? 30_000) }, (_, i) => ({ name: `B${i % 100}`, i })))
// warm up
for (let i = 0; i < 200; i++) await fetch(`${base}/bulk`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'W', i }) })
const state = { left: N }
const from = hrMs()
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
const to = hrMs()
lat.sort((a, b) => a - b)
const q = (p: number): string => (lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0).toFixed(1)
console.log(
  JSON.stringify({
    big: N,
    bigAnswers: done,
    probes: lat.length,
    p50ms: q(0.5),
    p99ms: q(0.99),
    maxMs: (lat.at(-1) ?? 0).toFixed(1),
    loadavg: loadavg()[0]?.toFixed(2),
  }),
)
cli.child.kill('SIGTERM')
await cli.exited
// the gateway's own event loop while the big bodies were in progress (written at its exit)
const loop = loopFigures(from, to)
if (loop !== undefined) console.log(JSON.stringify({ gatewayLoop: loop }))
// with PROF the turns stay for a look at the profile's samples of the longest ones
if (monitorFile !== undefined && process.env.PROF) console.log(JSON.stringify({ turnsFile: monitorFile }))
else if (monitorDir !== undefined) rmSync(monitorDir, { recursive: true, force: true })
await sandbox.stop()
folder.cleanup()
