// A hanging HTTP target in its own process (so the dispatcher's busy event loop does not delay its
// counting; see _counting-server.mjs for how open connections are counted).
// Speaks JSON over IPC: any message → { peak, open, connections }.
import { startCountingServer } from './_counting-server.mjs'

const target = await startCountingServer(false)
process.send({ port: target.port })
process.on('message', () => {
  const { peak, open, connections } = target.view()
  process.send({ peak, open, connections })
})
process.on('disconnect', () => process.exit(0))
