/** Attribute requests, each matched to its own response by id; late replies are dropped. */
import { TbClientError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { TOPIC_ATTRIBUTE_REQUEST } from './_inbound.ts'
import type { Session } from './_session.ts'
import { toAttributeRequestMessage } from './to-gateway-messages.ts'

interface PendingRequest {
  device: string
  resolve(value: unknown): void
  reject(error: Error): void
  timer: ReturnType<typeof setTimeout>
}

export interface AttributeRequests {
  request(session: Session | undefined, req: { device: string; keys: readonly string[]; client: boolean }, timeoutMs: number): Promise<unknown>
  /** Hands a response to its request; false when no request waits for that id (late or foreign). */
  resolve(id: number, message: Record<string, unknown>): boolean
  failAll(code: 'NOT_CONNECTED' | 'STOPPED', reason: string): void
  size(): number
}

const MAX_ID = 2 ** 31 - 1

export function createAttributeRequests(logger: Logger): AttributeRequests {
  const pending = new Map<number, PendingRequest>()
  let lastId = 0

  function nextId(): number {
    do lastId = lastId >= MAX_ID ? 1 : lastId + 1
    while (pending.has(lastId))
    return lastId
  }

  return {
    request(session, req, timeoutMs) {
      if (req === null || typeof req !== 'object' || typeof req.device !== 'string' || req.device === '') {
        return Promise.reject(new TbClientError('INVALID_ARGUMENT', 'requestAttributes: device must be a non-empty string'))
      }
      if (!Array.isArray(req.keys) || req.keys.some((k) => typeof k !== 'string')) {
        return Promise.reject(new TbClientError('INVALID_ARGUMENT', 'requestAttributes: keys must be an array of strings'))
      }
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
        return Promise.reject(new TbClientError('INVALID_ARGUMENT', `requestAttributes: timeoutMs must be positive, got ${String(timeoutMs)}`))
      }
      if (session === undefined) {
        return Promise.reject(new TbClientError('NOT_CONNECTED', `attribute request for device "${req.device}" failed: not connected to ThingsBoard`))
      }
      const id = nextId()
      const { payload } = toAttributeRequestMessage(req, id)
      return new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new TbClientError('TIMEOUT', `attribute request ${id} for device "${req.device}" got no answer within ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, { device: req.device, resolve, reject, timer })
        session.publish(TOPIC_ATTRIBUTE_REQUEST, payload, 1).catch((error: unknown) => {
          const p = pending.get(id)
          if (p === undefined) return
          pending.delete(id)
          clearTimeout(p.timer)
          reject(new TbClientError('NOT_CONNECTED', `attribute request ${id} for device "${req.device}" could not be sent`, { cause: error }))
        })
      })
    },

    resolve(id, message) {
      const p = pending.get(id)
      if (p === undefined) {
        logger.debug({ id }, 'attribute response dropped: no request waits for this id (late or foreign)')
        return false
      }
      pending.delete(id)
      clearTimeout(p.timer)
      p.resolve(message)
      return true
    },

    failAll(code, reason) {
      for (const [id, p] of pending) {
        clearTimeout(p.timer)
        p.reject(new TbClientError(code, `attribute request ${id} for device "${p.device}" aborted: ${reason}`))
      }
      pending.clear()
    },

    size: () => pending.size,
  }
}
