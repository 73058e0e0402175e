/**
 * `announce(device)`: a `v1/gateway/connect` published now, outside the outbox, so that ThingsBoard
 * routes the device's downlink to this gateway (it routes it to the gateway that connected the device
 * last). Used before waiting for a device's downlink when several gateways serve the same devices.
 * Devices announced while offline (or whose connect the connection lost) are announced right after
 * the next CONNACK. Every map here is bounded by `maxKnownDevices`.
 */
import { TbClientError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { TOPIC_CONNECT } from './_payload.ts'
import type { Session } from './_session.ts'

export interface Announcer {
  /** Remembers the type of each device sent (the type `announce` uses when given none). */
  remember(records: ReadonlyArray<{ deviceName: string; deviceType: string }>): void
  announce(session: Session | undefined, device: string, type: string | undefined): Promise<void>
  /** A new connection: announces the devices that wait for one. */
  onSession(session: Session): void
  /** Devices waiting for the next connection. */
  pending(): number
}

/** Sets `key` as the newest entry of a Map used as a bounded FIFO (the oldest is forgotten beyond `max`). */
function setBounded(map: Map<string, string>, key: string, value: string, max: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > max) map.delete(map.keys().next().value as string)
}

export function createAnnouncer(o: { qos: 0 | 1; maxKnownDevices: number; now(): number; logger: Logger }): Announcer {
  const types = new Map<string, string>()
  const waiting = new Map<string, string>()

  function publish(session: Session, device: string, type: string): Promise<void> {
    const payload = `{"device":${JSON.stringify(device)},"type":${JSON.stringify(type)}}`
    return session.publish(TOPIC_CONNECT, payload, o.qos).then(
      () => {
        if (!session.closed) session.connectedDevices.add(device, o.now())
      },
      (error: unknown) => {
        // the connection ended first: announce it again on the next one
        setBounded(waiting, device, type, o.maxKnownDevices)
        o.logger.debug(
          {
            device,
            error: error instanceof Error ? error.message : String(error),
          },
          'announce: connection lost before confirmation; the device is announced after reconnect',
        )
      },
    )
  }

  return {
    remember(records) {
      for (const r of records) {
        if (types.get(r.deviceName) !== r.deviceType) setBounded(types, r.deviceName, r.deviceType, o.maxKnownDevices)
      }
    },
    announce(session, device, type) {
      if (typeof device !== 'string' || device === '') {
        return Promise.reject(new TbClientError('INVALID_ARGUMENT', 'announce: device must be a non-empty string'))
      }
      if (type !== undefined && typeof type !== 'string') {
        return Promise.reject(new TbClientError('INVALID_ARGUMENT', 'announce: type must be a string'))
      }
      const t = type === undefined || type === '' ? (types.get(device) ?? 'default') : type
      if (session === undefined || session.closed) {
        setBounded(waiting, device, t, o.maxKnownDevices)
        return Promise.resolve()
      }
      waiting.delete(device)
      return publish(session, device, t)
    },
    onSession(session) {
      if (waiting.size === 0) return
      const list = [...waiting]
      waiting.clear()
      for (const [device, type] of list) void publish(session, device, type)
    },
    pending: () => waiting.size,
  }
}
