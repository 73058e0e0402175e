/** RPC replies at QoS 1; kept in a small bounded FIFO while offline and sent after reconnect. */
import { TbClientError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { TOPIC_RPC } from './_inbound.ts'
import type { Session } from './_session.ts'

interface Reply {
  device: string
  id: number | string
  payload: string
  resolve(): void
  reject(error: Error): void
}

export interface RpcReplies {
  reply(session: Session | undefined, device: string, id: number | string, data: unknown): Promise<void>
  /** Sends what waited while offline. */
  onSession(session: Session): void
  failAll(reason: string): void
  queued(): number
}

export function createRpcReplies(maxQueued: number, logger: Logger): RpcReplies {
  const queue: Reply[] = []
  let stopped = false

  function enqueue(item: Reply): void {
    queue.push(item)
    while (queue.length > maxQueued) {
      const dropped = queue.shift() as Reply
      logger.warn(`RPC reply for device "${dropped.device}" id ${String(dropped.id)} dropped: offline queue full (${maxQueued})`)
      dropped.reject(
        new TbClientError('NOT_CONNECTED', `RPC reply for device "${dropped.device}" id ${String(dropped.id)} dropped: offline queue full`),
      )
    }
  }

  function send(session: Session, item: Reply): void {
    session.publish(TOPIC_RPC, item.payload, 1).then(item.resolve, () => {
      if (stopped) item.reject(new TbClientError('STOPPED', `RPC reply for device "${item.device}" not sent: client stopped`))
      else enqueue(item) // the connection ended before PUBACK: send again after reconnect
    })
  }

  function drain(session: Session): void {
    while (queue.length > 0 && !session.closed) send(session, queue.shift() as Reply)
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
      return new Promise<void>((resolve, reject) => {
        const item: Reply = { device, id, payload, resolve, reject }
        if (session === undefined) enqueue(item)
        else if (queue.length > 0) {
          enqueue(item)
          drain(session)
        } else send(session, item)
      })
    },

    onSession: drain,

    failAll(reason) {
      stopped = true
      for (const item of queue.splice(0)) {
        item.reject(new TbClientError('STOPPED', `RPC reply for device "${item.device}" id ${String(item.id)} not sent: ${reason}`))
      }
    },

    queued: () => queue.length,
  }
}
