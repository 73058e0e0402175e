// The bench's handle on the counter process (lib/counter.mjs).
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export async function createCounter(brokerPort) {
  const child = fork(join(here, 'counter.mjs'), [], {
    env: { ...process.env, BROKER_PORT: String(brokerPort) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const replies = []
  child.on('message', (m) => replies.shift()?.(m))
  const ask = (m) =>
    new Promise((resolve, reject) => {
      replies.push(resolve)
      child.send(m, (err) => err && reject(err))
    })
  await new Promise((resolve, reject) => {
    replies.push(resolve)
    child.once('exit', (code) => reject(new Error(`counter exited with ${code}`)))
  })
  return {
    pid: child.pid,
    reset: () => ask('reset'),
    get: () => ask('get'),
    /**
     * Waits until `expected` datapoints arrived (then `quietMs` more without news, to collect
     * answers cut off when the load generator stopped), or nothing arrived for `idleMs`.
     */
    async settle(expected, { idleMs = 5_000, quietMs = 300 } = {}) {
      let last = -1
      let since = performance.now()
      for (;;) {
        await sleep(50)
        const s = await this.get()
        if (s.datapoints !== last) {
          last = s.datapoints
          since = performance.now()
        } else if (performance.now() - since > (s.datapoints >= expected ? quietMs : idleMs)) return s
      }
    },
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve)
        child.send('stop')
      }),
  }
}
