// A hanging HTTP target in its own process (so the dispatcher's busy event loop does not delay its
// counting) that counts its open sockets: 'connection' +1, the first of end/error/close −1; the peak
// is sampled once the poll phase that saw the connection is over (an older socket's FIN, sent before
// this SYN, has been processed by then). Speaks JSON over IPC: { peak } → { peak, open, connections }.
import { createServer } from 'node:http'

let open = 0
let peak = 0
let connections = 0
const server = createServer(() => undefined)
server.keepAliveTimeout = 60_000
server.on('connection', (socket) => {
  open++
  connections++
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
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
process.on('message', () => process.send({ peak, open, connections }))
process.on('disconnect', () => process.exit(0))
