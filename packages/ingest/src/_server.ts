/**
 * The Node HTTP(S) server around the h3 app: listen with clear errors (no SO_REUSEPORT), graceful
 * close (stop accepting, let in-flight requests finish within a bound, drop idle keep-alive sockets).
 */
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { IngestError } from './errors.ts'
import type { TlsOptions } from './_tls.ts'

export interface NodeServerOptions {
  tls: TlsOptions | undefined
  requestTimeoutMs: number
  /** For error messages: where the TLS files come from. */
  tlsSource: string
}

/** Creates (but does not start) the server around `handler` (the ingest's Node listener). */
export function createNodeServer(handler: RequestListener, options: NodeServerOptions): Server {
  const timeouts = {
    requestTimeout: options.requestTimeoutMs,
    headersTimeout: Math.min(options.requestTimeoutMs, 60_000),
    // how often Node checks those timeouts (its default, 30 s, would let a stalled client stay twice as long)
    connectionsCheckingInterval: Math.max(100, Math.min(options.requestTimeoutMs / 4, 5_000)),
    noDelay: true,
  }
  if (!options.tls) return createHttpServer(timeouts, handler)
  try {
    return createHttpsServer({ ...timeouts, ...options.tls }, handler)
  } catch (error) {
    throw new IngestError('TLS_FILE', `cannot use the TLS material (${options.tlsSource}): ${(error as Error).message}`, { cause: error })
  }
}

/** `host:port` as people write it (`[::1]:5000`). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`
}

/** Starts listening; resolves with the bound port. */
export function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening)
      const where = hostPort(host, port)
      if (error.code === 'EADDRINUSE') {
        reject(
          new IngestError('ADDRESS_IN_USE', `cannot listen on ${where}: the address is already in use (another process or connector listens there)`, {
            cause: error,
          }),
        )
      } else if (error.code === 'EACCES') {
        reject(new IngestError('LISTEN_FAILED', `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`, { cause: error }))
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(new IngestError('LISTEN_FAILED', `cannot listen on ${where}: the host is not an address of this machine`, { cause: error }))
      } else {
        reject(new IngestError('LISTEN_FAILED', `cannot listen on ${where}: ${error.message}`, { cause: error }))
      }
    }
    const onListening = (): void => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen({ host, port, exclusive: true })
  })
}

/**
 * Stops accepting connections, closes idle keep-alive sockets (also those that become idle while
 * closing), and cuts the remaining connections after `timeoutMs`.
 */
export function closeServer(server: Server, timeoutMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve()
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50)
    const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs)
    sweep.unref()
    deadline.unref()
    server.close(() => {
      clearInterval(sweep)
      clearTimeout(deadline)
      resolve()
    })
    server.closeIdleConnections()
  })
}
