// A separate process serving the downlink targets of the pressure tests (so their work does not
// slow the test process that measures uplink latency). Speaks JSON lines over IPC.
import { createServer } from 'node:http'

function start(answer) {
  const arrivals = new Map()
  let requests = 0
  let peak = 0
  let connections = 0
  /** Open sockets by accept order. */
  const open = new Map()
  const server = createServer((req, res) => {
    requests++
    arrivals.set(req.url ?? '', Date.now())
    req.resume()
    if (!answer) return
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'))
  })
  server.keepAliveTimeout = 60_000
  server.on('connection', (socket) => {
    const seq = ++connections
    open.set(socket, seq)
    // measured one loop turn later, over the connections accepted up to now: libuv's accept loop can
    // take a connection whose SYN came after an older socket's FIN that this poll has not read yet
    // (counted at once, that showed one more than the client ever had); the next poll reads it
    setImmediate(() => {
      const cut = connections
      setImmediate(() => {
        let n = 0
        for (const s of open.values()) if (s <= cut) n++
        peak = Math.max(peak, n)
      })
    })
    const down = () => open.delete(socket)
    socket.on('end', down)
    socket.on('error', down)
    socket.on('close', down)
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        view: (prefix) => ({ requests, peak, arrivals: prefix === undefined ? [] : [...arrivals].filter(([p]) => p.startsWith(prefix)) }),
      }),
    ),
  )
}

const fast = await start(true)
const hang = await start(false)
let probing
async function probe(url) {
  const started = performance.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"probe","t":1}' })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`uplink answered ${res.status}`)
  return performance.now() - started
}
process.on('message', (m) => {
  if (m.probe !== undefined) {
    // uplink probes one after another from this process, until stopped: the slowest answer and the slow ones
    probing = { stop: false, max: 0, count: 0, slow: [], error: undefined, t0: performance.now() }
    const p = probing
    void (async () => {
      while (!p.stop) {
        try {
          const l = await probe(m.probe)
          p.max = Math.max(p.max, l)
          p.count++
          if (l > 300) p.slow.push(`${l.toFixed(0)} ms at +${(performance.now() - p.t0).toFixed(0)} ms`)
        } catch (e) {
          p.error = String(e)
          break
        }
      }
      p.done?.()
    })()
    return
  }
  if (m.stopProbe !== undefined) {
    const p = probing
    p.stop = true
    new Promise((resolve) => (p.done = resolve)).then(() => process.send({ id: m.id, max: p.max, count: p.count, slow: p.slow, error: p.error }))
    return
  }
  const target = m.target === 'fast' ? fast : hang
  process.send({ id: m.id, ...target.view(m.prefix) })
})
process.send({ ready: true, fast: fast.port, hang: hang.port })
process.on('disconnect', () => process.exit(0))
