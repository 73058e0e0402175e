// A hanging HTTP target in its own process (so the dispatcher's busy event loop does not delay its
// counting) that counts its open connections: 'connection' +1, the first of end/error/close −1.
// The peak is sampled one loop turn after a connection is accepted, counting only connections
// accepted up to then: libuv's accept loop can take a connection whose SYN came after an older
// socket's FIN that this poll has not read yet (counted at once, that showed 5 where the client
// never had more than 4 sockets); the next poll reads that FIN. Every connection counted was open
// at the instant that next poll began.
// Speaks JSON over IPC: any message → { peak, open, connections }.
import { createServer } from 'node:http'

let peak = 0
let connections = 0
/** Open sockets by accept order. */
const open = new Map()

const server = createServer(() => undefined)
server.keepAliveTimeout = 60_000
server.on('connection', (socket) => {
  const seq = ++connections
  open.set(socket, seq)
  setImmediate(() => {
    const cut = connections // accepted up to this poll
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
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
process.on('message', () => process.send({ peak, open: open.size, connections }))
process.on('disconnect', () => process.exit(0))
