// A separate process serving the downlink targets of the pressure tests (so their work does not
// slow the test process that measures uplink latency). Speaks JSON lines over IPC.
import { createServer } from 'node:http'

function start(answer) {
  const arrivals = new Map()
  let requests = 0
  let open = 0
  let peak = 0
  const server = createServer((req, res) => {
    requests++
    arrivals.set(req.url ?? '', Date.now())
    req.resume()
    if (!answer) return
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'))
  })
  server.keepAliveTimeout = 60_000
  server.on('connection', (socket) => {
    open++
    // measured after this poll phase: an older socket's FIN (sent before this SYN) is processed by then
    setImmediate(() => {
      peak = Math.max(peak, open)
    })
    let gone = false
    const down = () => {
      if (gone) return
      gone = true
      open--
    }
    socket.on('end', down)
    socket.on('error', down)
    socket.on('close', down)
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: server.address().port, view: (prefix) => ({ requests, peak, arrivals: prefix === undefined ? [] : [...arrivals].filter(([p]) => p.startsWith(prefix)) }) }),
    ),
  )
}

const fast = await start(true)
const hang = await start(false)
process.on('message', (m) => {
  const target = m.target === 'fast' ? fast : hang
  process.send({ id: m.id, ...target.view(m.prefix) })
})
process.send({ ready: true, fast: fast.port, hang: hang.port })
process.on('disconnect', () => process.exit(0))
