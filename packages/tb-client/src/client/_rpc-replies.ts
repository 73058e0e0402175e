/**
 * RPC replies at QoS 1, device RPCs (`v1/gateway/rpc`) and gateway RPCs (`v1/devices/me/rpc/response/{id}`);
 * kept in one small bounded FIFO while offline and sent after reconnect, in order.
 *
 * A reply waits for its PUBACK as one `Reply` object and its (flat) payload, ~250 bytes: in a flood
 * from a broker that pushes everything (aedes), tens of thousands of replies wait for PUBACKs that
 * come behind what the broker queued for the gateway. `reply()` adds a promise on top for callers
 * that wait for the confirmation; `queueReply()` does not (a shared `onLost` hears of losses).
 */
import { TbClientError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { TOPIC_ME_RPC_RESPONSE, TOPIC_RPC } from './_inbound.ts'
import type { Outgoing, Session } from './_session.ts'

/** Told of a reply that was taken and then lost (offline queue full, client stopped). */
export type ReplyLost = (error: TbClientError) => void

interface Owner {
  settled(reply: Reply, error: Error | undefined): void
}

class Reply implements Outgoing {
  readonly qos = 1
  readonly #owner: Owner
  readonly topic: string
  readonly payload: string
  /** `undefined` for a gateway RPC reply. */
  readonly device: string | undefined
  readonly id: number | string
  readonly confirmed: (() => void) | undefined
  readonly lost: ReplyLost | undefined
  constructor(
    owner: Owner,
    topic: string,
    payload: string,
    device: string | undefined,
    id: number | string,
    confirmed: (() => void) | undefined,
    lost: ReplyLost | undefined,
  ) {
    this.#owner = owner
    this.topic = topic
    this.payload = payload
    this.device = device
    this.id = id
    this.confirmed = confirmed
    this.lost = lost
  }

  /** For messages: `RPC reply for device "X" id 5` / `gateway RPC reply id 5`. */
  what(): string {
    return this.device === undefined ? `gateway RPC reply id ${String(this.id)}` : `RPC reply for device "${this.device}" id ${String(this.id)}`
  }

  settle(error?: Error): void {
    this.#owner.settled(this, error)
  }
}

export interface RpcReplies {
  /** Resolves once ThingsBoard confirmed the reply. */
  reply(session: Session | undefined, device: string, id: number | string, data: unknown): Promise<void>
  /** Publishes `data` as is on `v1/devices/me/rpc/response/{id}`; resolves once confirmed. */
  replyGateway(session: Session | undefined, id: number | string, data: unknown): Promise<void>
  /** Takes the reply (throws `INVALID_ARGUMENT`/`STOPPED` at once); a later loss goes to `onLost`. */
  queueReply(session: Session | undefined, device: string, id: number | string, data: unknown, onLost?: ReplyLost): void
  queueGatewayReply(session: Session | undefined, id: number | string, data: unknown, onLost?: ReplyLost): void
  /** Sends what waited while offline. */
  onSession(session: Session): void
  failAll(reason: string): void
  queued(): number
}

const WILDCARD_OR_SEPARATOR = /[/+#]/
/** A request id usable as one topic level (MQTT forbids U+0000 anywhere in a topic). */
const isTopicLevel = (id: string): boolean => id !== '' && !WILDCARD_OR_SEPARATOR.test(id) && !id.includes('\u0000')

/**
 * V8 builds a template literal as a rope (a tree of the pieces, ~2.5× the text); reading one
 * character flattens it in place to one plain string. A reply's payload is held until its PUBACK.
 */
function flat(text: string): string {
  text.charCodeAt(0)
  return text
}

function devicePayload(device: string, id: number | string, data: unknown): string {
  if (typeof device !== 'string' || device === '') throw new TbClientError('INVALID_ARGUMENT', 'replyRpc: device must be a non-empty string')
  if (typeof id !== 'number' && typeof id !== 'string') throw new TbClientError('INVALID_ARGUMENT', 'replyRpc: id must be a number or a string')
  try {
    return flat(`{"device":${JSON.stringify(device)},"id":${JSON.stringify(id)},"data":${JSON.stringify(data ?? null) ?? 'null'}}`)
  } catch (error) {
    throw new TbClientError('INVALID_ARGUMENT', `replyRpc: data for device "${device}" id ${String(id)} is not JSON-serialisable`, { cause: error })
  }
}

function gatewayPayload(id: number | string, data: unknown): string {
  if (!(typeof id === 'number' ? Number.isSafeInteger(id) && id >= 0 : typeof id === 'string' && isTopicLevel(id))) {
    throw new TbClientError('INVALID_ARGUMENT', 'replyGatewayRpc: id must be a non-negative integer or a topic level without / + # (the request id)')
  }
  try {
    return JSON.stringify(data ?? null) ?? 'null'
  } catch (error) {
    throw new TbClientError('INVALID_ARGUMENT', `replyGatewayRpc: data for id ${String(id)} is not JSON-serialisable`, { cause: error })
  }
}

export function createRpcReplies(maxQueued: number, logger: Logger): RpcReplies {
  const queue: Reply[] = []
  let stopped = false

  function enqueue(item: Reply): void {
    queue.push(item)
    while (queue.length > maxQueued) {
      const dropped = queue.shift() as Reply
      const what = dropped.what()
      logger.warn(`${what} dropped: offline queue full (${maxQueued})`)
      dropped.lost?.(new TbClientError('NOT_CONNECTED', `${what} dropped: offline queue full`))
    }
  }

  const owner: Owner = {
    settled(item, error) {
      if (error === undefined) item.confirmed?.()
      else if (stopped) item.lost?.(new TbClientError('STOPPED', `${item.what()} not sent: client stopped`))
      else enqueue(item) // the connection ended before PUBACK: send again after reconnect
    },
  }

  function drain(session: Session): void {
    while (queue.length > 0 && !session.closed) session.send(queue.shift() as Reply)
  }

  function submit(session: Session | undefined, item: Reply): void {
    if (session === undefined) enqueue(item)
    else if (queue.length > 0) {
      enqueue(item)
      drain(session)
    } else session.send(item)
  }

  function stoppedError(what: string): TbClientError {
    return new TbClientError('STOPPED', `${what}: client stopped`)
  }

  /** Takes a device RPC reply; `confirmed` at its PUBACK, `lost` if it is dropped later. Throws at once when it cannot be taken. */
  function deviceReply(session: Session | undefined, device: string, id: number | string, data: unknown, confirmed?: () => void, lost?: ReplyLost): void {
    if (stopped) throw stoppedError('replyRpc')
    submit(session, new Reply(owner, TOPIC_RPC, devicePayload(device, id, data), device, id, confirmed, lost))
  }

  function gatewayReply(session: Session | undefined, id: number | string, data: unknown, confirmed?: () => void, lost?: ReplyLost): void {
    if (stopped) throw stoppedError('replyGatewayRpc')
    const payload = gatewayPayload(id, data)
    submit(session, new Reply(owner, `${TOPIC_ME_RPC_RESPONSE}${String(id)}`, payload, undefined, id, confirmed, lost))
  }

  return {
    // a throw in the executor rejects the promise
    reply: (session, device, id, data) => new Promise<void>((resolve, reject) => deviceReply(session, device, id, data, resolve, reject)),
    replyGateway: (session, id, data) => new Promise<void>((resolve, reject) => gatewayReply(session, id, data, resolve, reject)),
    queueReply: (session, device, id, data, onLost) => deviceReply(session, device, id, data, undefined, onLost),
    queueGatewayReply: (session, id, data, onLost) => gatewayReply(session, id, data, undefined, onLost),

    onSession: drain,

    failAll(reason) {
      stopped = true
      const left = queue.splice(0)
      if (left.length > 0) logger.warn(`${left.length} RPC repl${left.length === 1 ? 'y' : 'ies'} not sent: ${reason}`)
      for (const item of left) item.lost?.(new TbClientError('STOPPED', `${item.what()} not sent: ${reason}`))
    },

    queued: () => queue.length,
  }
}
