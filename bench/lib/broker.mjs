// A plain aedes MQTT broker in its own process (so its CPU is not billed to the process measured).
// Prints `{"port":N}` on stdout once listening. TCP_NODELAY on every socket.
import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const broker = await Aedes.createBroker()
const server = createServer((socket) => {
  socket.setNoDelay(true)
  broker.handle(socket)
})
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
})
process.on('SIGTERM', () => server.close(() => broker.close(() => process.exit(0))))
