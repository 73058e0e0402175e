// Measures the tb-client's per-device memory through its public API (run with --expose-gc): N
// distinct devices are sent and delivered through an in-process aedes broker, and the heap growth
// that stays after GC is divided by N. Prints one JSON line { devices, bytes }.
import { createServer } from 'node:net'
import { Aedes } from 'aedes'
import { createTbClient } from '@restgate/tb-client'

const counts = process.argv.slice(2).map(Number)
const broker = await Aedes.createBroker()
const server = createServer((socket) => broker.handle(socket))
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const client = createTbClient({
  host: '127.0.0.1',
  port: server.address().port,
  security: { type: 'accessToken', accessToken: 'bench' },
  requestSessionLimits: false,
  storage: undefined,
  logger: { debug() {}, info() {}, warn() {}, error: console.error },
})
client.start()
await new Promise((resolve) => client.on('connect', resolve))

const heap = () => {
  for (let i = 0; i < 4; i++) globalThis.gc()
  return process.memoryUsage().heapUsed
}
let next = 0
async function sendDevices(n) {
  for (let i = 0; i < n; i += 100) {
    const batch = []
    for (let j = i; j < Math.min(n, i + 100); j++)
      batch.push({ deviceName: `SN-${next++}`, deviceType: 'Thermometer', telemetry: [{ ts: 1, values: { t: 1 } }] })
    await client.send(batch)
    if ((i / 100) % 20 === 19 && !(await client.flush(30_000))) throw new Error('not delivered')
  }
  if (!(await client.flush(30_000))) throw new Error('not delivered')
}
// warm up everything (code, buffers) with the first devices, then measure
await sendDevices(2000)
for (const n of counts) {
  const before = heap()
  await sendDevices(n)
  const after = heap()
  process.stdout.write(JSON.stringify({ devices: n, bytes: after - before }) + '\n')
}
await client.stop({ flushTimeoutMs: 0 })
server.close()
broker.close()
