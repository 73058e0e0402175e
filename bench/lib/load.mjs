// The load generator (autocannon) and the delivery counter (an MQTT subscriber).
import autocannon from 'autocannon'
import mqtt from 'mqtt'

export const AUTH = 'Basic ' + Buffer.from('user:password').toString('base64')

/** The docs' payload for device `i` (W1 cycles over `devices` names). */
export function docsBody(i) {
  return JSON.stringify({ sensorName: `SN-${i}`, sensorType: 'Thermometer', sensorModel: 'T1000', temp: 20 + (i % 10), hum: 50 + (i % 7) })
}

/**
 * Runs autocannon against `url` for `duration` seconds (or `amount` requests) at `connections`,
 * cycling the body over `devices` device names. Resolves with throughput and latency figures.
 */
export function load({ url, connections, duration, amount, devices, auth = true }) {
  let n = 0
  const bodies = devices <= 5000 ? Array.from({ length: devices }, (_, i) => docsBody(i)) : undefined
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections,
        ...(amount ? { amount } : { duration }),
        timeout: 10,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: AUTH } : {}) },
        requests: [
          {
            setupRequest(req) {
              const i = n++ % devices
              req.body = bodies ? bodies[i] : docsBody(i)
              return req
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err)
        const ok = result['2xx']
        resolve({
          ok,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          seconds: result.duration,
          rps: ok / result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
        })
      },
    )
  })
}

/** Subscribes to the Gateway API topics and counts telemetry datapoints as they arrive. */
export async function createCounter(brokerPort) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clean: true, reconnectPeriod: 0 })
  client.stream.setNoDelay?.(true)
  const counter = { datapoints: 0, messages: 0, lastAt: 0, firstAt: 0 }
  client.on('message', (_topic, payload) => {
    counter.messages++
    const now = performance.now()
    if (!counter.firstAt) counter.firstAt = now
    counter.lastAt = now
    const body = JSON.parse(payload.toString('utf8'))
    for (const entries of Object.values(body)) {
      for (const entry of Array.isArray(entries) ? entries : [entries]) {
        const values = entry && typeof entry === 'object' && 'values' in entry ? entry.values : entry
        counter.datapoints += Object.keys(values ?? {}).length
      }
    }
  })
  await client.subscribeAsync('v1/gateway/telemetry', { qos: 0 })
  return {
    counter,
    reset() {
      counter.datapoints = 0
      counter.messages = 0
      counter.firstAt = 0
      counter.lastAt = 0
    },
    /** Waits until `expected` datapoints arrived, or nothing new arrived for `idleMs`. */
    async settle(expected, idleMs = 5_000) {
      let last = -1
      let since = performance.now()
      while (counter.datapoints < expected) {
        await new Promise((r) => setTimeout(r, 50))
        if (counter.datapoints !== last) {
          last = counter.datapoints
          since = performance.now()
        } else if (performance.now() - since > idleMs) break
      }
      return counter.datapoints
    },
    close: () => client.endAsync(true),
  }
}
