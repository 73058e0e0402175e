import { expect, test } from 'vitest'
import { nextTurn, turnsWaiting } from './turns.ts'

/** Loop iterations, counted by a setImmediate that re-arms itself. */
function iterations(): { now(): number; stop(): void } {
  let n = 0
  let on = true
  const tick = (): void => {
    n++
    if (on) setImmediate(tick)
  }
  setImmediate(tick)
  return { now: () => n, stop: () => (on = false) }
}

test('one waiter per turn of the event loop, first come first served, whoever asks', async () => {
  const loop = iterations()
  const log: Array<{ job: string; turn: number }> = []
  const job = async (name: string, slices: number): Promise<void> => {
    for (let i = 0; i < slices; i++) {
      await nextTurn()
      log.push({ job: name, turn: loop.now() })
    }
  }
  await Promise.all([job('a', 5), job('b', 5), job('c', 2)])
  loop.stop()
  expect(log.map((e) => e.job).join('')).toBe('abcabcababab')
  // never two slices in one loop iteration (the I/O of other requests runs between them)
  expect(new Set(log.map((e) => e.turn)).size).toBe(log.length)
  expect(turnsWaiting()).toBe(0)
})

test('an I/O callback runs between two turns', async () => {
  const { createServer, connect } = await import('node:net')
  const server = createServer((s) => s.end('x'))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  const io = { received: false }
  const socket = connect(port, '127.0.0.1')
  socket.on('data', () => (io.received = true))
  let turns = 0
  // a job that would run forever if I/O could not get in between its slices
  while (!io.received) {
    await nextTurn()
    turns++
  }
  socket.destroy()
  await new Promise((r) => server.close(r))
  expect(turns).toBeGreaterThan(0)
})
