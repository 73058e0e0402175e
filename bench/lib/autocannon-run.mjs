// The fallback load generator: autocannon in its own process (so its CPU is measured apart and it
// does not share an event loop with anything else). Args: a JSON object { url, connections,
// duration, amount, devices, auth }. Prints one `RGRESULT {json}` line like wrk.lua.
import autocannon from 'autocannon'
import { AUTH, docsBody } from './payload.mjs'

const { url, connections, duration, amount, devices, auth } = JSON.parse(process.argv[2])
let n = 0
const bodies = devices <= 5000 ? Array.from({ length: devices }, (_, i) => docsBody(i)) : undefined
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
  (err, r) => {
    if (err) {
      console.error(err)
      process.exit(1)
    }
    const result = {
      requests: r['2xx'] + r.non2xx,
      non2xx: r.non2xx,
      errors: r.errors - r.timeouts,
      timeouts: r.timeouts,
      durationUs: Math.round(r.duration * 1e6),
      p50Us: r.latency.p50 * 1000,
      p99Us: r.latency.p99 * 1000,
      maxUs: r.latency.max * 1000,
    }
    process.stdout.write(`RGRESULT ${JSON.stringify(result)}\n`)
  },
)
