/**
 * The line the CLI logs when a stop signal arrives, before it stops anything: what stopping will
 * do with the records not yet delivered, which depends on whether ThingsBoard is connected (the
 * outbox is flushed only then) and on the storage (memory records die with the process, `file`
 * and `sqlite` records are sent at the next start).
 */
import type { StorageType } from '@restgate/config'

export interface StopMessageInput {
  signal: string
  /** `tb.stats().connected` */
  connected: boolean
  /** Records not yet delivered: `tb.stats().queued + tb.stats().inFlight`. */
  undelivered: number
  storage: StorageType
  flushTimeoutMs: number
}

export interface StopMessage {
  /** `warn` when records will be lost. */
  level: 'info' | 'warn'
  message: string
}

const records = (n: number): string => `${n} record${n === 1 ? '' : 's'}`

export function stopMessage(input: StopMessageInput): StopMessage {
  const { signal, connected, undelivered: n, storage, flushTimeoutMs } = input
  const head = `${signal}: stopping`
  if (connected) {
    if (n === 0) return { level: 'info', message: `${head}; the outbox is empty` }
    const seconds = Math.round(flushTimeoutMs / 100) / 10
    const rest = storage === 'memory' ? 'what is left then is lost (memory storage)' : `what is left then stays in ${storage} storage for the next start`
    return { level: 'info', message: `${head}; flushing up to ${records(n)} to ThingsBoard for up to ${seconds} s, ${rest}` }
  }
  if (n === 0) return { level: 'info', message: `${head}; ThingsBoard is not connected, no records are waiting` }
  if (storage === 'memory') return { level: 'warn', message: `${head}; ThingsBoard is not connected, so ${records(n)} in memory storage will be lost` }
  return { level: 'info', message: `${head}; ThingsBoard is not connected, so ${records(n)} stay in ${storage} storage for the next start` }
}
