/** The cancellation scope of one dispatch: the dispatcher closing, and the RPC's overall deadline. */
import { setMaxListeners } from 'node:events'
import type { RequestFailure } from './types.ts'

export interface Scope {
  /** Aborts when the dispatcher closes or the deadline passes. */
  readonly signal: AbortSignal
  /** Epoch ms of the overall deadline (`responseTimeout`), when there is one. */
  readonly deadlineAt: number | undefined
  /** The failure that ended the scope: `closed` (503) or `timeout after Xs` (408, also once the deadline has passed before its timer ran). */
  failure(): RequestFailure
  dispose(): void
}

/**
 * `deadlineSeconds` is `responseTimeout` as configured (for messages); `startedAt` the epoch ms the
 * deadline counts from (when the message arrived, so time spent waiting for room counts too).
 */
export function createScope(closing: AbortSignal, deadlineSeconds?: number, startedAt: number = Date.now()): Scope {
  const controller = new AbortController()
  setMaxListeners(0, controller.signal) // one listener per request of the dispatch (every key of an update)
  let reason: 'closed' | 'deadline' | undefined
  const onClose = (): void => {
    reason ??= 'closed'
    controller.abort(new Error('dispatcher closed'))
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  let deadlineAt: number | undefined
  if (deadlineSeconds !== undefined) {
    deadlineAt = startedAt + Math.max(0, deadlineSeconds * 1000)
    const ms = Math.max(0, deadlineAt - Date.now())
    timer = setTimeout(() => {
      reason ??= 'deadline'
      controller.abort(new Error(`timeout after ${deadlineSeconds}s`))
    }, ms)
  }
  if (closing.aborted) onClose()
  else closing.addEventListener('abort', onClose, { once: true })
  return {
    signal: controller.signal,
    deadlineAt,
    failure(): RequestFailure {
      if (reason === undefined && deadlineAt !== undefined && Date.now() >= deadlineAt) reason = 'deadline'
      if (reason === 'deadline') return { kind: 'timeout', message: `timeout after ${deadlineSeconds}s`, code: 408 }
      return { kind: 'closed', message: 'the gateway is shutting down; request aborted', code: 503 }
    },
    dispose(): void {
      if (timer !== undefined) clearTimeout(timer)
      closing.removeEventListener('abort', onClose)
    },
  }
}
