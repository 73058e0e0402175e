import { OutboxFullError, StorageFullError, TbClientError } from '../errors.ts'
import { defaultLogger } from '../logger.ts'
import { nextTurn } from '@restgate/core'
import { createMemoryStorage } from '@restgate/storage/memory'
import type { StorageBackend, StorageStats } from '@restgate/storage'
import { createAnnouncer } from './_announce.ts'
import { createAttributeRequests } from './_attribute-requests.ts'
import { createConnection } from './_connection.ts'
import { createEmitter } from './_emitter.ts'
import { classifyInbound, SESSION_LIMITS_METHOD, TOPIC_ME_RPC_REQUEST, TOPIC_ME_TELEMETRY } from './_inbound.ts'
import { parseSessionLimits, type SessionLimits } from './_limits.ts'
import { createPump, type Pump } from './_pump.ts'
import { SEND_SLICE_RECORDS, toStoredRecords, toStoredRecordsInTurns } from './_records.ts'
import { createRpcReplies } from './_rpc-replies.ts'
import { resolveOptions, type TbClientOptions } from './options.ts'
import type { TbClient, TbClientEvents, TbClientStats } from './types.ts'

const SESSION_LIMITS_REQUEST = `{"method":"${SESSION_LIMITS_METHOD}","params":{"timeout":5000}}`
const noop = (): void => {}
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** The MQTT payload size as a non-enumerable `bytes` (for downlink memory bounds; invisible to equality checks and JSON). */
function withSize(event: object, bytes: number): void {
  Object.defineProperty(event, 'bytes', { value: bytes, enumerable: false })
}

const emptyStats = (kind: string): StorageStats => ({ kind, size: 0, droppedOldest: 0, expired: 0, corruptSkipped: 0 })

/** ThingsBoard Gateway API client with a bounded, acknowledged outbox. See README for guarantees. */
export function createTbClient(options: TbClientOptions): TbClient {
  const o = resolveOptions(options, (path, text) => {
    throw new TbClientError('INVALID_OPTIONS', `tb-client options.${path}: ${text}`)
  })
  const logger = o.logger ?? defaultLogger
  const events = createEmitter<TbClientEvents>(logger)
  const storageReady: Promise<StorageBackend> = Promise.resolve(o.storage ?? createMemoryStorage({ logger }))
  storageReady.catch(noop)
  let storage: StorageBackend | undefined
  let pump: Pump | undefined
  let limits: SessionLimits | undefined
  let limitsRequestId: number | undefined
  let meRequestId = 0
  let started = false
  let stopping = false
  let stopPromise: Promise<void> | undefined
  const attributeRequests = createAttributeRequests(logger)
  const rpcReplies = createRpcReplies(o.rpcReplyQueueSize, logger)
  const announcer = createAnnouncer({ qos: o.qos, maxKnownDevices: o.maxKnownDevices, now: o.now, logger })

  const connection = createConnection(
    o,
    {
      onSession(session) {
        if (limits?.maxInflightMessages !== undefined) session.setMaxInflight(limits.maxInflightMessages)
        events.emit('connect', { host: o.host, port: o.port, session: session.id })
        if (o.requestSessionLimits) {
          meRequestId = meRequestId >= 2 ** 31 - 1 ? 1 : meRequestId + 1
          limitsRequestId = meRequestId
          session.publish(`${TOPIC_ME_RPC_REQUEST}${meRequestId}`, SESSION_LIMITS_REQUEST, 1).catch(noop)
        }
        rpcReplies.onSession(session)
        announcer.onSession(session)
        pump?.wake()
      },
      onSessionEnd(_session, reason) {
        attributeRequests.failAll('NOT_CONNECTED', `connection to ThingsBoard lost (${reason})`)
        events.emit('disconnect', { reason })
        pump?.wake()
      },
      onMessage(topic, payload, parsed) {
        const m = classifyInbound(topic, payload, parsed)
        switch (m.kind) {
          case 'attributeUpdate':
            withSize(m.event, payload.length)
            if (o.holdAcks) return events.emitHeld('attributeUpdate', m.event)
            events.emit('attributeUpdate', m.event)
            return undefined
          case 'rpc':
            withSize(m.event, payload.length)
            if (o.holdAcks) return events.emitHeld('rpc', m.event)
            events.emit('rpc', m.event)
            return undefined
          case 'gatewayRpc':
            if (events.count('gatewayRpc') === 0) {
              logger.warn(`gateway RPC "${m.event.method}" id ${m.event.id} not answered: nothing listens for gatewayRpc`)
            } else if (o.holdAcks) return events.emitHeld('gatewayRpc', m.event)
            else events.emit('gatewayRpc', m.event)
            return undefined
          case 'attributeResponse':
            attributeRequests.resolve(m.id, m.message)
            return undefined
          case 'meRpcResponse': {
            const parsed = m.requestId === limitsRequestId ? parseSessionLimits(m.body) : undefined
            if (parsed === undefined) {
              logger.debug({ requestId: m.requestId }, 'ignored a reply on v1/devices/me/rpc/response')
              return undefined
            }
            limits = parsed
            // answered: a later message on the same response topic is not a limits reply
            limitsRequestId = undefined
            connection.current()?.setMaxInflight(parsed.maxInflightMessages)
            logger.info(
              {
                maxPayloadSize: parsed.maxPayloadSize,
                maxInflightMessages: parsed.maxInflightMessages,
                rateLimitWindows: parsed.messages.length + parsed.telemetryMessages.length + parsed.telemetryDataPoints.length,
              },
              'applied ThingsBoard session limits',
            )
            return undefined
          }
          case 'ignored':
            logger.debug({ topic }, `ignored an MQTT message: ${m.reason}`)
        }
        return undefined
      },
      onError(error, text) {
        events.emit('error', new TbClientError('CONNECT_FAILED', text, { cause: error }))
      },
    },
    logger,
  )

  function retryAfterSeconds(): number {
    if (connection.current() !== undefined) return 1
    return Math.min(60, Math.max(1, Math.ceil(connection.nextAttemptIn() / 1000) + 1))
  }

  async function storageOrThrow(): Promise<StorageBackend> {
    try {
      return await storageReady
    } catch (error) {
      throw new TbClientError('STORAGE_IO', `outbox storage could not be opened: ${message(error)}`, { cause: error })
    }
  }

  return {
    start() {
      if (started || stopping) return
      started = true
      connection.start()
      storageReady.then(
        (s) => {
          storage = s
          if (stopping) return
          pump = createPump({
            storage: s,
            current: () => connection.current(),
            qos: o.qos,
            readRecordsCount: o.readRecordsCount,
            minPackSendDelayMS: o.minPackSendDelayMS,
            maxPacksInFlight: o.maxPacksInFlight,
            maxKnownDevices: o.maxKnownDevices,
            reannounceAfterMs: o.reannounceAfterMs,
            now: o.now,
            ackTimeoutMs: o.ackTimeoutMs,
            storageAckRetry: o.storageAckRetry,
            connectorType: o.connectorType,
            connectorName: o.connectorName,
            maxPayloadBytes: () => (limits?.maxPayloadSize !== undefined ? Math.min(o.maxPayloadSizeBytes, limits.maxPayloadSize) : o.maxPayloadSizeBytes),
            limits: () => limits,
            logger,
          })
          pump.start()
        },
        (error: unknown) => {
          logger.error(`outbox storage could not be opened: ${message(error)}; nothing can be sent`)
          events.emit('error', new TbClientError('STORAGE_IO', `outbox storage could not be opened: ${message(error)}`, { cause: error }))
        },
      )
    },

    async ready() {
      storage = await storageOrThrow()
    },

    async send(records, meta) {
      if (stopping) throw new TbClientError('STOPPED', 'send: the client is stopping; records not stored')
      // a long batch is checked and converted a slice per turn of the event loop
      const long = Array.isArray(records) && records.length > SEND_SLICE_RECORDS
      const stored = long ? await toStoredRecordsInTurns(records, meta?.connectorName, o.now()) : toStoredRecords(records, meta?.connectorName, o.now())
      if (stored.length === 0) return
      announcer.remember(stored)
      if (long) {
        // the storage put (one pass, all or nothing) gets a turn of its own
        await nextTurn()
        if (stopping) throw new TbClientError('STOPPED', 'send: the client is stopping; records not stored')
      }
      const s = storage ?? (await storageOrThrow())
      try {
        await s.put(stored)
      } catch (error) {
        if (StorageFullError.is(error)) {
          throw new OutboxFullError(`outbox full: ${error.message}`, retryAfterSeconds(), { cause: error })
        }
        if (TbClientError.is(error)) throw error
        throw new TbClientError('STORAGE_IO', `storing ${stored.length} record(s) failed: ${message(error)}`, { cause: error })
      }
      pump?.stored()
    },

    requestAttributes(request, timeoutMs) {
      if (stopping) return Promise.reject(new TbClientError('STOPPED', 'requestAttributes: the client is stopping'))
      return attributeRequests.request(connection.current(), request, timeoutMs)
    },

    announce(device, type) {
      if (stopping) return Promise.reject(new TbClientError('STOPPED', 'announce: the client is stopping'))
      return announcer.announce(connection.current(), device, type)
    },

    replyRpc(device, id, data) {
      return rpcReplies.reply(connection.current(), device, id, data)
    },

    replyGatewayRpc(id, data) {
      return rpcReplies.replyGateway(connection.current(), id, data)
    },

    queueRpcReply(device, id, data, onLost) {
      rpcReplies.queueReply(connection.current(), device, id, data, onLost)
    },

    queueGatewayRpcReply(id, data, onLost) {
      rpcReplies.queueGatewayReply(connection.current(), id, data, onLost)
    },

    sendGatewayTelemetry(values, ts) {
      if (stopping) return Promise.reject(new TbClientError('STOPPED', 'sendGatewayTelemetry: the client is stopping'))
      const session = connection.current()
      if (session === undefined) return Promise.reject(new TbClientError('NOT_CONNECTED', 'gateway telemetry not sent: not connected to ThingsBoard'))
      let payload: string
      try {
        payload = JSON.stringify({ ts: ts ?? o.now(), values })
      } catch (error) {
        return Promise.reject(new TbClientError('INVALID_OPTIONS', `gateway telemetry not sent: not serialisable: ${message(error)}`))
      }
      return session.publish(TOPIC_ME_TELEMETRY, payload, o.qos)
    },

    on: (event, listener) => events.on(event, listener),
    off: (event, listener) => events.off(event, listener),

    async flush(timeoutMs) {
      const s = await storageOrThrow()
      if (pump === undefined) return s.size() === 0
      return pump.whenDrained(timeoutMs)
    },

    stop(stopOptions = {}) {
      stopPromise ??= (async () => {
        stopping = true
        const flushTimeoutMs = stopOptions.flushTimeoutMs ?? 5000
        if (pump !== undefined && connection.current() !== undefined && flushTimeoutMs > 0) {
          const drained = await pump.whenDrained(flushTimeoutMs)
          if (!drained) logger.warn(`stop: outbox not drained within ${flushTimeoutMs} ms; the rest stays in storage`)
        }
        await connection.stop()
        attributeRequests.failAll('STOPPED', 'client stopped')
        rpcReplies.failAll('client stopped')
        await pump?.stop()
        const s = await storageReady.catch(() => undefined)
        const left = s?.size() ?? 0
        if (s !== undefined && left > 0) {
          const fate = s.kind === 'memory' ? 'are lost (memory storage)' : `stay in ${s.kind} storage for the next start`
          logger.warn(`stop: ${left} record(s) not delivered to ThingsBoard ${fate}`)
        }
        await s?.close()
      })()
      return stopPromise
    },

    stats(): TbClientStats {
      const st = storage?.stats() ?? emptyStats(o.storage === undefined ? 'memory' : 'unknown')
      const inFlight = pump?.inFlight() ?? 0
      const ackPending = pump?.ackPending() ?? 0
      const c = pump?.counters() ?? { published: 0, acked: 0, resent: 0, droppedDatapoints: 0 }
      const lastError = connection.lastError()
      return {
        connected: connection.current() !== undefined,
        queued: Math.max(0, st.size - inFlight - ackPending),
        inFlight,
        ackPending,
        published: c.published,
        acked: c.acked,
        resent: c.resent,
        dropped: st.droppedOldest + st.expired + c.droppedDatapoints,
        connectAttempts: connection.attempts(),
        heldAcks: connection.heldAcks().held,
        ackOverflow: connection.heldAcks().overflow,
        ...(lastError !== undefined ? { lastError } : {}),
        storage: st,
      }
    },
  }
}
