// A plain aedes MQTT broker in its own process (so its CPU is not billed to the process measured).
// Prints `{"port":N}` on stdout once listening. TCP_NODELAY on every socket. Like ThingsBoard (and
// the sandbox), it never echoes a message back to the client that published it: the gateway both
// publishes and subscribes v1/gateway/attributes.
import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const broker = await Aedes.createBroker({
  authorizeForward(client, packet) {
    return packet.clientId !== undefined && packet.clientId === client.id ? null : packet
  },
})
const server = createServer((socket) => {
  socket.setNoDelay(true)
  broker.handle(socket)
})
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
})
process.on('SIGTERM', () => server.close(() => broker.close(() => process.exit(0))))
