import type { Logger } from '../logger.ts'

/** Minimal typed emitter: listener errors (thrown or rejected) are logged, never propagated. */
export interface Emitter<Events> {
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void
  off<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): void
  emit<E extends keyof Events>(event: E, payload: Events[E]): void
  /** Like `emit`; returns a promise that settles when every promise a listener returned has settled (undefined when none did). */
  emitHeld<E extends keyof Events>(event: E, payload: Events[E]): Promise<unknown> | undefined
  count(event: keyof Events): number
}

export function createEmitter<Events>(logger: Logger): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>()
  const failed = (event: keyof Events, error: unknown): void => {
    logger.error({ error: error instanceof Error ? error.message : String(error) }, `a "${String(event)}" listener failed`)
  }
  return {
    on(event, listener) {
      let set = listeners.get(event)
      if (set === undefined) listeners.set(event, (set = new Set()))
      set.add(listener as (payload: never) => void)
      return () => this.off(event, listener)
    },
    off(event, listener) {
      listeners.get(event)?.delete(listener as (payload: never) => void)
    },
    emit(event, payload) {
      this.emitHeld(event, payload)
    },
    emitHeld(event, payload) {
      const set = listeners.get(event)
      if (set === undefined) return undefined
      let pending: Array<Promise<unknown>> | undefined
      for (const listener of Array.from(set)) {
        try {
          const result = (listener as (p: typeof payload) => unknown)(payload)
          if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
            const settled = (result as Promise<unknown>).then(undefined, (error: unknown) => failed(event, error))
            ;(pending ??= []).push(settled)
          }
        } catch (error) {
          failed(event, error)
        }
      }
      if (pending === undefined) return undefined
      return pending.length === 1 ? pending[0] : Promise.all(pending)
    },
    count(event) {
      return listeners.get(event)?.size ?? 0
    },
  }
}
