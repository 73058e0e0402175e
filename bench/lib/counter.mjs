// The delivery counter, in its own process: subscribes to the Gateway API telemetry topic on the
// broker and counts datapoints as they arrive. Talks to the bench over IPC:
// 'reset' → zeroes the counts; 'get' → { datapoints, messages, lastAt (epoch ms) }.
import mqtt from 'mqtt'

const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${process.env.BROKER_PORT}`, { clean: true, reconnectPeriod: 0 })
client.stream.setNoDelay?.(true)
let datapoints = 0
let messages = 0
let lastAt = 0

function count(body) {
  // telemetry: {"device": [{ts, values}] | {ts, values} | values}
  for (const device in body) {
    const entries = body[device]
    for (const entry of Array.isArray(entries) ? entries : [entries]) {
      const values = entry && typeof entry === 'object' && 'values' in entry ? entry.values : entry
      for (const _ in values ?? {}) datapoints++
    }
  }
}

client.on('message', (_topic, payload) => {
  messages++
  lastAt = performance.timeOrigin + performance.now()
  count(JSON.parse(payload.toString('utf8')))
})
await client.subscribeAsync('v1/gateway/telemetry', { qos: 0 })

process.on('message', (m) => {
  if (m === 'reset') {
    datapoints = 0
    messages = 0
    lastAt = 0
    process.send({ ok: true })
  } else if (m === 'get') {
    process.send({ datapoints, messages, lastAt })
  } else if (m === 'stop') {
    client.end(true, () => process.exit(0))
  }
})
process.send({ ready: true })
