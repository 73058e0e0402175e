import { describe, expect, it } from 'vitest'
import { createRecorder, stableJson } from './_recorder.ts'

describe('stableJson', () => {
  it('sorts object keys at every level and keeps array order', () => {
    expect(stableJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":0,"z":1}]},"b":1}')
    expect(stableJson(undefined)).toBe('null')
  })
})

describe('recorder', () => {
  it('creates connected devices on connect and auto-created ones on data', () => {
    const r = createRecorder(10)
    r.connect('A', 'T', 1, 100)
    expect(r.attributes('A', { k: 1 }, 1, 101)).toEqual({ autoCreated: false, beforeConnect: false })
    expect(r.telemetry('B', [{ ts: undefined, values: { v: 1 } }], 1, 102)).toEqual({ autoCreated: true, beforeConnect: true, duplicates: 0 })
    expect(r.state.devices.get('B')).toMatchObject({ type: 'default', autoCreated: true, connected: true, dataBeforeConnect: 1, createdAt: 102 })
    expect(r.state.devices.get('B')?.telemetry[0]?.ts).toBe(102)
  })

  it('disconnects the devices of an ended session only', () => {
    const r = createRecorder(10)
    r.connect('A', 'T', 1, 1)
    r.connect('B', 'T', 2, 1)
    r.sessionEnded(1)
    expect(r.state.devices.get('A')?.connected).toBe(false)
    expect(r.state.devices.get('B')?.connected).toBe(true)
    // Data from another session counts as not connected there.
    expect(r.telemetry('B', [{ ts: 1, values: {} }], 3, 2).beforeConnect).toBe(true)
  })

  it('keeps the latest value by ts, a later arrival winning a tie', () => {
    const r = createRecorder(10)
    r.telemetry(
      'A',
      [
        { ts: 5, values: { t: 'five' } },
        { ts: 3, values: { t: 'three', h: 1 } },
      ],
      1,
      0,
    )
    r.telemetry('A', [{ ts: 5, values: { t: 'five again' } }], 1, 0)
    expect(r.state.devices.get('A')?.latest).toEqual({ t: { ts: 5, value: 'five again' }, h: { ts: 3, value: 1 } })
  })

  it('keeps attributes set before a device exists and hands them over when it appears', () => {
    const r = createRecorder(10)
    r.setAttributes('A', { shared: { s: 1 }, client: { c: 1 } })
    expect(r.state.devices.has('A')).toBe(false)
    expect(r.attributesOf('A', false)).toEqual({ s: 1 })
    r.connect('A', 'T', 1, 0)
    expect(r.state.devices.get('A')).toMatchObject({ sharedAttributes: { s: 1 }, attributes: { c: 1 }, autoCreated: false })
    expect(r.attributesOf('A', true)).toEqual({ c: 1 })
    expect(r.attributesOf('unknown', true)).toEqual({})
  })

  it('trims the message log in chunks but always serves the last maxMessages', () => {
    const r = createRecorder(10)
    for (let i = 0; i < 25; i++) {
      r.record({ time: i, direction: 'up', clientId: 'c', topic: 't', kind: 'other', qos: 0, raw: '{}', payload: {}, malformed: false, devices: [] })
      expect(r.state.messages.length).toBeLessThanOrEqual(11)
    }
    expect(r.recent().map((m) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25])
    expect(r.state.messageCount).toBe(25)
  })
})
