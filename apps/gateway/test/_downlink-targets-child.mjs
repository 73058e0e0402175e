// A separate process serving the fast downlink target of the pressure tests (so its work, thousands
// of requests, does not slow the test process that measures uplink latency), and sending the uplink
// probes. Speaks JSON lines over IPC.
import { startCountingServer } from '../../../packages/dispatcher/test/_counting-server.mjs'

const fast = await startCountingServer(true)
let probing
async function probe(url) {
  const started = performance.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"probe","t":1}' })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`uplink answered ${res.status}`)
  return performance.now() - started
}
process.on('message', (m) => {
  if (m.probe !== undefined) {
    // uplink probes one after another from this process, until stopped: the slowest answer and the slow ones
    probing = { stop: false, max: 0, count: 0, slow: [], error: undefined, t0: performance.now() }
    const p = probing
    void (async () => {
      while (!p.stop) {
        try {
          const l = await probe(m.probe)
          p.max = Math.max(p.max, l)
          p.count++
          if (l > 300) p.slow.push(`${l.toFixed(0)} ms at +${(performance.now() - p.t0).toFixed(0)} ms`)
        } catch (e) {
          p.error = String(e)
          break
        }
      }
      p.done?.()
    })()
    return
  }
  if (m.stopProbe !== undefined) {
    const p = probing
    p.stop = true
    new Promise((resolve) => (p.done = resolve)).then(() => process.send({ id: m.id, max: p.max, count: p.count, slow: p.slow, error: p.error }))
    return
  }
  process.send({ id: m.id, ...fast.view(m.prefix) })
})
process.send({ ready: true, fast: fast.port })
process.on('disconnect', () => process.exit(0))
