// Baseline 2: the same server publishing one QoS 1 Gateway-API telemetry message per request with
// mqtt.js and answering after its PUBACK (TCP_NODELAY set, as a careful hand-written bridge would).
import { createServer } from 'node:http'
import mqtt from 'mqtt'

const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${process.env.BROKER_PORT}`, { clean: true, reconnectPeriod: 1000 })
client.stream.setNoDelay?.(true)
const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    let body
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      return res.writeHead(400).end()
    }
    const payload = JSON.stringify({ [body.sensorName]: [{ ts: Date.now(), values: { temperature: body.temp, humidity: body.hum } }] })
    client.publish('v1/gateway/telemetry', payload, { qos: 1 }, (err) => {
      if (err) res.writeHead(503).end()
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    })
  })
})
server.keepAliveTimeout = 30_000
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'))
process.on('SIGTERM', () => client.end(true, () => process.exit(0)))
