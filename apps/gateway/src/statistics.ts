/**
 * The gateway's statistics as telemetry of the gateway device, as the original's
 * `thingsboard.statistics` does: every `statsSendPeriodInSeconds` one message on
 * `v1/devices/me/telemetry` with the counts of that period (the original resets its counters at
 * each send): `eventsProduced` (records received), `eventsSent` (records ThingsBoard confirmed),
 * per connector `<name in lower case without spaces>EventsProduced` / `...EventsSent` (the
 * original's keys, e.g. `restconnectorEventsProduced`), plus restgate's `eventsDropped` (records
 * lost in the outbox), `datapointsDropped` (dropped by converters) and `queueDepth` (records in the
 * outbox now). Not sent while ThingsBoard is disconnected (live data, not queued).
 */
import type { Gateway, GatewayStats } from './gateway.ts'
import type { GatewayLogger } from './logger.ts'

export interface StatisticsOptions {
  /** Seconds between two messages. */
  periodSeconds: number
  logger?: GatewayLogger
}

export interface StatisticsReporter {
  /** The values of the period up to now (what the next message would carry), and starts a new period. */
  take(): Record<string, number>
  stop(): void
}

/** `REST Connector` → `restconnector` (the original's `connector.lower().replace(' ', '')`). */
export const statisticsKeyOf = (connector: string): string => connector.toLowerCase().replaceAll(' ', '')

interface Totals {
  produced: Map<string, number>
  sent: number
  dropped: number
  droppedDatapoints: number
}

function totalsOf(s: GatewayStats): Totals {
  return {
    produced: new Map(s.connectors.map((c) => [c.name, c.ingest.records])),
    sent: s.tb.acked,
    dropped: s.tb.dropped,
    droppedDatapoints: s.connectors.reduce((n, c) => n + c.ingest.droppedDatapoints, 0),
  }
}

/** Starts sending the gateway's statistics every `periodSeconds`. */
export function startStatistics(gateway: Gateway, options: StatisticsOptions): StatisticsReporter {
  const log = options.logger
  let last = totalsOf(gateway.stats())

  function take(): Record<string, number> {
    const s = gateway.stats()
    const now = totalsOf(s)
    const values: Record<string, number> = { eventsProduced: 0, eventsSent: now.sent - last.sent }
    for (const [name, produced] of now.produced) {
      const n = produced - (last.produced.get(name) ?? 0)
      const key = statisticsKeyOf(name)
      values[`${key}EventsProduced`] = n
      values.eventsProduced! += n
      // the outbox confirms records, not connectors: per-connector "sent" is known only with one connector
      if (now.produced.size === 1) values[`${key}EventsSent`] = values.eventsSent!
    }
    values.eventsDropped = now.dropped - last.dropped
    values.datapointsDropped = now.droppedDatapoints - last.droppedDatapoints
    values.queueDepth = s.tb.queued + s.tb.inFlight + s.tb.ackPending
    last = now
    return values
  }

  const timer = setInterval(() => {
    if (!gateway.stats().tb.connected) {
      log?.debug('statistics not sent: ThingsBoard is not connected')
      return
    }
    const values = take()
    gateway.tb.sendGatewayTelemetry(values).catch((error: unknown) => {
      log?.debug({ error: String(error) }, 'statistics not sent')
    })
  }, options.periodSeconds * 1000)
  timer.unref()
  return { take, stop: () => clearInterval(timer) }
}
