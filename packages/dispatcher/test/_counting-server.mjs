// An HTTP target that counts what reaches it: requests, their arrival times by path, and the most
// sockets open at once ('connection' +1, the first of end/error/close −1). `answer: false` never
// answers (a hanging target). Used by the dispatcher's limit test (in a child process) and by the
// gateway's downlink pressure test.
import { createServer } from 'node:http'

export function startCountingServer(answer) {
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
    // (counted at once, that showed 5 where the client never had more than 4 sockets); the next
    // poll reads that FIN, so every connection counted was open at the instant that poll began
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
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
        view: (prefix) => ({
          requests,
          peak,
          open: open.size,
          connections,
          arrivals: prefix === undefined ? [] : [...arrivals].filter(([p]) => p.startsWith(prefix)),
        }),
      }),
    ),
  )
}
