import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TlsOptions } from 'node:tls'
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket } from 'aedes'
import { listen } from './_listen.ts'
import type { Logger } from './options.ts'

/** CONNACK return code 5 ("not authorized"), aedes' AuthErrorCode.NOT_AUTHORIZED. */
const NOT_AUTHORIZED = 5

export interface BrokerHooks {
  /** true when this username may connect (`client` is the connecting client, to remember its username). */
  authenticate(username: string | undefined, client: Client, password: string | undefined): boolean
  /** A client published; runs before the broker acknowledges (PUBACK) or forwards the message. */
  onPublish(client: Client, packet: PublishPacket): void
  onClientReady(client: Client): void
  onClientGone(client: Client): void
  onRefused(client: Client): void
  /** Whether a message another client published may be forwarded to `client` (never to its own publisher). */
  mayForward(client: Client, publisherId: string): boolean
  logger: Logger
  /**
   * Runs after `onPublish` for a client's QoS 1 message: a promise holds the PUBACK (and the
   * forwarding) until it resolves, one that never settles drops it; `undefined` acknowledges at once.
   * Default: none (every message acknowledged at once).
   */
  gatePublish?(client: Client, packet: PublishPacket): Promise<void> | undefined
  /** CONNACK return code of a refused login; default 5 ("not authorized"), 4 is "bad username or password". */
  refusedReturnCode?: number
  /** Forward a message to the client that published it too (a plain broker's echo); default false (ThingsBoard's). */
  echo?: boolean
  /** Serve MQTT over TLS with these `node:tls` server options; default plain TCP. */
  tls?: TlsOptions
}

export interface RunningBroker {
  broker: Aedes
  port: number
  close(): Promise<void>
}

/** An aedes broker on a TCP listener, with the sandbox's auth, no-echo forwarding and TCP_NODELAY. */
export async function startBroker(host: string, port: number, hooks: BrokerHooks): Promise<RunningBroker> {
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      if (hooks.authenticate(username, client, password?.toString('utf8'))) return done(null, true)
      hooks.onRefused(client)
      const returnCode = hooks.refusedReturnCode ?? NOT_AUTHORIZED
      const reason = returnCode === NOT_AUTHORIZED ? 'not authorized: missing or unknown access token' : `refused (CONNACK ${returnCode})`
      const error = Object.assign(new Error(reason), { returnCode })
      done(error, null)
    },
    authorizePublish(client, packet, done) {
      if (packet.topic.startsWith('$SYS/')) return done(new Error('$SYS/ topics are reserved'))
      if (client) {
        try {
          hooks.onPublish(client, packet)
        } catch (error) {
          hooks.logger.error({ topic: packet.topic, error: String(error) }, 'sandbox: failed to handle a published message')
        }
        const gate = packet.qos > 0 ? hooks.gatePublish?.(client, packet) : undefined
        if (gate) {
          const refuse = (error: unknown): void => done(error instanceof Error ? error : new Error(String(error)))
          gate.then(() => done(null), refuse)
          return
        }
      }
      done(null)
    },
    // A ThingsBoard never echoes a message to the client that published it (a plain broker would, and the
    // gateway both publishes and subscribes v1/gateway/attributes and v1/gateway/rpc).
    authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
      // aedes stamps the publisher's id on packets that came from a client (none on the sandbox's own).
      const publisher = (packet as { clientId?: string }).clientId
      if (publisher === undefined) return packet
      return (hooks.echo === true || publisher !== client.id) && hooks.mayForward(client, publisher) ? packet : null
    },
  })
  broker.on('clientReady', (client) => hooks.onClientReady(client))
  broker.on('clientDisconnect', (client) => hooks.onClientGone(client))
  broker.on('clientError', (client, error) => hooks.logger.debug({ clientId: client.id, error: error.message }, 'sandbox: MQTT client error'))
  broker.on('connectionError', (client, error) => hooks.logger.debug({ clientId: client.id, error: error.message }, 'sandbox: MQTT connection error'))

  const sockets = new Set<Socket>()
  const onConnection = (socket: Socket): void => {
    // Nagle + delayed ACK would add ~40 ms to every PUBACK round trip (TCP_NODELAY on every client socket).
    socket.setNoDelay(true)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    broker.handle(socket)
  }
  const server: Server = hooks.tls ? createTlsServer(hooks.tls, onConnection) : createServer(onConnection)
  if (hooks.tls) server.on('tlsClientError', (error: Error) => hooks.logger.debug({ error: error.message }, 'sandbox: MQTT TLS handshake failed'))
  let bound: number
  try {
    bound = await listen(server, host, port, 'MQTT')
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()))
    throw error
  }
  server.on('error', (error) => hooks.logger.error({ error: error.message }, 'sandbox: MQTT listener error'))
  return {
    broker,
    port: bound,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => broker.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await closed
    },
  }
}
