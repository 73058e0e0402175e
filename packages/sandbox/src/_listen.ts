import type { Server } from 'node:net'
import { SandboxError } from './errors.ts'

/** Binds a server; resolves with the bound port (useful for port 0), rejects with LISTEN_FAILED. */
export function listen(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening)
      reject(new SandboxError('LISTEN_FAILED', `sandbox: cannot listen for ${what} on ${host}:${port}: ${error.message}`, { cause: error }))
    }
    const onListening = (): void => {
      server.off('error', onError)
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen({ host, port, exclusive: true })
  })
}
