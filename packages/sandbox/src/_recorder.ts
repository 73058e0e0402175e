import type { SentEntry, Values } from './_parse.ts'
import type { RecordedMessage, SandboxClient, SandboxDevice, SandboxState } from './types.ts'

/** A device with the MQTT session that connected it (internal). */
export interface DeviceRecord extends SandboxDevice {
  session: number | undefined
}

interface MutableState {
  devices: Map<string, DeviceRecord>
  clients: Map<string, SandboxClient>
  messages: RecordedMessage[]
  messageCount: number
  duplicates: number
  malformed: number
  refusedConnections: number
  unmatchedRpcReplies: number
  kickedSessions: number
}

export interface DataResult {
  autoCreated: boolean
  beforeConnect: boolean
}

export interface Recorder {
  readonly state: SandboxState & MutableState
  /** Appends a message (seq filled) and trims the log to about `maxMessages`. */
  record(message: Omit<RecordedMessage, 'seq'>): RecordedMessage
  /** The last `maxMessages` messages, copied. */
  recent(): RecordedMessage[]
  connect(device: string, type: string, session: number, now: number): DeviceRecord
  disconnect(device: string, now: number): DeviceRecord | undefined
  attributes(device: string, values: Values, session: number, now: number): DataResult
  telemetry(device: string, entries: readonly SentEntry[], session: number, now: number): DataResult & { duplicates: number }
  /** An attribute request from a session: ThingsBoard connects an existing device to the asking gateway
   * (no counters change). False when the device does not exist. */
  claim(device: string, session: number, now: number): boolean
  /** A gateway's MQTT session ended: its devices are no longer connected. */
  sessionEnded(session: number): void
  setAttributes(device: string, scopes: { shared?: Values; client?: Values }): void
  /** Attributes of a device (or those set for it before it exists). */
  attributesOf(device: string, client: boolean): Values
  clear(options?: { devices?: boolean }): void
}

/** Canonical JSON (object keys sorted) so that equal values compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).toSorted()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Values)[k])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** Telemetry entries kept per device (oldest dropped first) unless the sandbox is told otherwise. */
export const MAX_TELEMETRY_PER_DEVICE = 10_000

export function createRecorder(maxMessages: number, maxTelemetryPerDevice: number = MAX_TELEMETRY_PER_DEVICE): Recorder {
  const slack = Math.max(1, Math.floor(maxMessages / 10))
  const telemetrySlack = Math.max(1, Math.floor(maxTelemetryPerDevice / 10))
  const state: MutableState = {
    devices: new Map(),
    clients: new Map(),
    messages: [],
    messageCount: 0,
    duplicates: 0,
    malformed: 0,
    refusedConnections: 0,
    unmatchedRpcReplies: 0,
    kickedSessions: 0,
  }
  /** Attributes set (setAttributes / attribute updates) for devices that do not exist yet. */
  const pending = new Map<string, { shared: Values; client: Values }>()
  /** Duplicate detection: per device, `ts|canonical values` of every entry. */
  const seen = new Map<string, Set<string>>()

  function create(name: string, type: string, autoCreated: boolean, now: number): DeviceRecord {
    const early = pending.get(name)
    pending.delete(name)
    const device: DeviceRecord = {
      name,
      type,
      lastConnectType: undefined,
      connected: false,
      connectCount: 0,
      disconnectCount: 0,
      autoCreated,
      dataBeforeConnect: 0,
      attributes: { ...early?.client },
      sharedAttributes: { ...early?.shared },
      telemetry: [],
      latest: {},
      duplicates: 0,
      createdAt: now,
      lastActivityAt: now,
      session: undefined,
    }
    state.devices.set(name, device)
    return device
  }

  /** Data for a device: creates it (auto-created) or notes that it was not connected in this session. */
  function forData(name: string, session: number, now: number): { device: DeviceRecord } & DataResult {
    let device = state.devices.get(name)
    let autoCreated = false
    let beforeConnect = false
    if (!device) {
      device = create(name, 'default', true, now)
      autoCreated = true
    }
    if (!device.connected || device.session !== session) {
      beforeConnect = true
      device.dataBeforeConnect++
      // ThingsBoard connects the device implicitly when data arrives for it.
      device.connected = true
      device.session = session
    }
    device.lastActivityAt = now
    return { device, autoCreated, beforeConnect }
  }

  return {
    state: state as SandboxState & MutableState,
    record(message) {
      state.messageCount++
      const full: RecordedMessage = { seq: state.messageCount, ...message }
      if (full.malformed) state.malformed++
      state.messages.push(full)
      if (state.messages.length > maxMessages + slack) state.messages.splice(0, state.messages.length - maxMessages)
      return full
    },
    recent() {
      return state.messages.slice(-maxMessages)
    },
    connect(name, type, session, now) {
      const device = state.devices.get(name) ?? create(name, type, false, now)
      device.lastConnectType = type
      device.connected = true
      device.session = session
      device.connectCount++
      device.lastActivityAt = now
      return device
    },
    disconnect(name, now) {
      const device = state.devices.get(name)
      if (!device) return undefined
      device.connected = false
      device.session = undefined
      device.disconnectCount++
      device.lastActivityAt = now
      return device
    },
    attributes(name, values, session, now) {
      const { device, autoCreated, beforeConnect } = forData(name, session, now)
      Object.assign(device.attributes, values)
      return { autoCreated, beforeConnect }
    },
    telemetry(name, entries, session, now) {
      const { device, autoCreated, beforeConnect } = forData(name, session, now)
      let keys = seen.get(name)
      if (!keys) seen.set(name, (keys = new Set()))
      let duplicates = 0
      for (const sent of entries) {
        const ts = sent.ts ?? now
        const key = `${ts}|${stableJson(sent.values)}`
        const duplicate = keys.has(key)
        keys.add(key)
        if (duplicate) duplicates++
        device.telemetry.push({ ts, values: sent.values, receivedAt: now, duplicate })
        for (const [k, value] of Object.entries(sent.values)) {
          const prev = device.latest[k]
          if (!prev || ts >= prev.ts) device.latest[k] = { ts, value }
        }
      }
      if (device.telemetry.length > maxTelemetryPerDevice + telemetrySlack) {
        // bounded history: the oldest entries go, and duplicate detection forgets them too
        device.telemetry.splice(0, device.telemetry.length - maxTelemetryPerDevice)
        keys.clear()
        for (const e of device.telemetry) keys.add(`${e.ts}|${stableJson(e.values)}`)
      }
      device.duplicates += duplicates
      state.duplicates += duplicates
      return { autoCreated, beforeConnect, duplicates }
    },
    claim(name, session, now) {
      const device = state.devices.get(name)
      if (!device) return false
      device.connected = true
      device.session = session
      device.lastActivityAt = now
      return true
    },
    sessionEnded(session) {
      for (const device of state.devices.values()) {
        if (device.session === session) {
          device.connected = false
          device.session = undefined
        }
      }
    },
    setAttributes(name, scopes) {
      const device = state.devices.get(name)
      if (device) {
        Object.assign(device.sharedAttributes, scopes.shared)
        Object.assign(device.attributes, scopes.client)
        return
      }
      const early = pending.get(name) ?? { shared: {}, client: {} }
      Object.assign(early.shared, scopes.shared)
      Object.assign(early.client, scopes.client)
      pending.set(name, early)
    },
    attributesOf(name, client) {
      const device = state.devices.get(name)
      if (device) return client ? device.attributes : device.sharedAttributes
      const early = pending.get(name)
      return (client ? early?.client : early?.shared) ?? {}
    },
    clear(options) {
      state.messages.length = 0
      state.messageCount = 0
      state.duplicates = 0
      state.malformed = 0
      state.refusedConnections = 0
      state.unmatchedRpcReplies = 0
      state.kickedSessions = 0
      seen.clear()
      if (options?.devices) {
        state.devices.clear()
        pending.clear()
        return
      }
      for (const device of state.devices.values()) {
        device.telemetry = []
        device.latest = {}
        device.duplicates = 0
        device.connectCount = 0
        device.disconnectCount = 0
        device.dataBeforeConnect = 0
      }
    },
  }
}
