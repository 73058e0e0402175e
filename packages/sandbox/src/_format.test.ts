import { describe, expect, it } from 'vitest'
import { formatMessage } from './_format.ts'
import type { RecordedMessage } from './types.ts'

const base: RecordedMessage = {
  seq: 1,
  time: new Date(2024, 0, 2, 3, 4, 5, 6).getTime(),
  direction: 'up',
  clientId: 'gw',
  topic: 'v1/gateway/telemetry',
  kind: 'telemetry',
  qos: 1,
  raw: '{"A":[{"v":1}]}',
  payload: { A: [{ v: 1 }] },
  malformed: false,
  devices: ['A'],
}

describe('formatMessage', () => {
  it('shows time, client, direction, kind, devices and payload, then notes and problems', () => {
    expect(formatMessage(base)).toBe('03:04:05.006 gw → telemetry      A {"A":[{"v":1}]}')
    expect(formatMessage({ ...base, problem: 'bad entry' }, ['A auto-created'])).toBe(
      '03:04:05.006 gw → telemetry      A {"A":[{"v":1}]}  [A auto-created; bad entry]',
    )
  })

  it('marks downlink broadcasts and names the topic of unclassified messages', () => {
    expect(formatMessage({ ...base, direction: 'down', clientId: null, kind: 'rpcRequest', devices: ['A'], raw: '{}' })).toBe(
      '03:04:05.006 all ← rpc request    A {}',
    )
    expect(formatMessage({ ...base, kind: 'other', topic: 'x/y', devices: [], raw: '1' })).toBe('03:04:05.006 gw → other          x/y 1')
  })

  it('shortens long payloads', () => {
    const line = formatMessage({ ...base, raw: 'x'.repeat(1000) })
    expect(line.length).toBeLessThan(220)
    expect(line.endsWith('…')).toBe(true)
  })
})
