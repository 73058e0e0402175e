/**
 * RPC replies at QoS 1, device RPCs (`v1/gateway/rpc`) and gateway RPCs (`v1/devices/me/rpc/response/{id}`);
 * kept in one small bounded FIFO while offline and sent after reconnect, in order.
 */
import { TbClientError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { TOPIC_ME_RPC_RESPONSE, TOPIC_RPC } from './_inbound.ts'
import type { Session } from './_session.ts'

interface Reply {
  /** For messages: `RPC reply for device "X" id 5` / `gateway RPC reply id 5`. */
  what: string
  topic: string
  payload: string
  resolve(): void
  reject(error: Error): void
}

export interface RpcReplies {
  reply(session: Session | undefined, device: string, id: number | string, data: unknown): Promise<void>
  /** Publishes `data` as is on `v1/devices/me/rpc/response/{id}`. */
  replyGateway(session: Session | undefined, id: number | string, data: unknown): Promise<void>
  /** Sends what waited while offline. */
  onSession(session: Session): void
  failAll(reason: string): void
  queued(): number
}

const WILDCARD_OR_SEPARATOR = /[/+#]/
/** A request id usable as one topic level (MQTT forbids U+0000 anywhere in a topic). */
const isTopicLevel = (id: string): boolean => id !== '' && !WILDCARD_OR_SEPARATOR.test(id) && !id.includes('\u0000')

export function createRpcReplies(maxQueued: number, logger: Logger): RpcReplies {
  const queue: Reply[] = []
  let stopped = false

  function enqueue(item: Reply): void {
    queue.push(item)
    while (queue.length > maxQueued) {
      const dropped = queue.shift() as Reply
      logger.warn(`${dropped.what} dropped: offline queue full (${maxQueued})`)
      dropped.reject(new TbClientError('NOT_CONNECTED', `${dropped.what} dropped: offline queue full`))
    }
  }

  function send(session: Session, item: Reply): void {
    session.publish(item.topic, item.payload, 1).then(item.resolve, () => {
      if (stopped) item.reject(new TbClientError('STOPPED', `${item.what} not sent: client stopped`))
      else enqueue(item) // the connection ended before PUBACK: send again after reconnect
    })
  }

  function drain(session: Session): void {
    while (queue.length > 0 && !session.closed) send(session, queue.shift() as Reply)
  }

  function submit(session: Session | undefined, what: string, topic: string, payload: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const item: Reply = { what, topic, payload, resolve, reject }
      if (session === undefined) enqueue(item)
      else if (queue.length > 0) {
        enqueue(item)
        drain(session)
      } else send(session, item)
    })
  }

  return {
    reply(session, device, id, data) {
      if (stopped) return Promise.reject(new TbClientError('STOPPED', 'replyRpc: client stopped'))
      if (typeof device !== 'string' || device === '') {
        return Promise.reject(new TbClientError('INVALID_ARGUMENT', 'replyRpc: device must be a non-empty string'))
      }
      if (typeof id !== 'number' && typeof id !== 'string') {
        return Promise.reject(new TbClientError('INVALID_ARGUMENT', 'replyRpc: id must be a number or a string'))
      }
      let payload: string
      try {
        payload = `{"device":${JSON.stringify(device)},"id":${JSON.stringify(id)},"data":${JSON.stringify(data ?? null) ?? 'null'}}`
      } catch (error) {
        return Promise.reject(
          new TbClientError('INVALID_ARGUMENT', `replyRpc: data for device "${device}" id ${String(id)} is not JSON-serialisable`, {
            cause: error,
          }),
        )
      }
      return submit(session, `RPC reply for device "${device}" id ${String(id)}`, TOPIC_RPC, payload)
    },

    replyGateway(session, id, data) {
      if (stopped) return Promise.reject(new TbClientError('STOPPED', 'replyGatewayRpc: client stopped'))
      if (!(typeof id === 'number' ? Number.isSafeInteger(id) && id >= 0 : typeof id === 'string' && isTopicLevel(id))) {
        return Promise.reject(
          new TbClientError('INVALID_ARGUMENT', 'replyGatewayRpc: id must be a non-negative integer or a topic level without / + # (the request id)'),
        )
      }
      let payload: string
      try {
        payload = JSON.stringify(data ?? null) ?? 'null'
      } catch (error) {
        return Promise.reject(new TbClientError('INVALID_ARGUMENT', `replyGatewayRpc: data for id ${String(id)} is not JSON-serialisable`, { cause: error }))
      }
      return submit(session, `gateway RPC reply id ${String(id)}`, `${TOPIC_ME_RPC_RESPONSE}${String(id)}`, payload)
    },

    onSession: drain,

    failAll(reason) {
      stopped = true
      for (const item of queue.splice(0)) {
        item.reject(new TbClientError('STOPPED', `${item.what} not sent: ${reason}`))
      }
    },

    queued: () => queue.length,
  }
}
