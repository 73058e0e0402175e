import { describe, expect, it } from 'vitest'
import { connect, publish, startSandbox } from './_helpers.ts'

describe('recording what ThingsBoard would', () => {
  it('records connect, attributes and telemetry exactly, and each message with topic, payload, client id and time', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl, { clientId: 'gw-1' })
    const before = Date.now()
    await publish(gw, 'v1/gateway/connect', { device: 'SN-001', type: 'Thermometer' })
    await publish(gw, 'v1/gateway/attributes', { 'SN-001': { connectorType: 'rest', connectorName: 'REST Connector' } })
    await publish(gw, 'v1/gateway/attributes', { 'SN-001': { model: 'T1000', certificateNumber: 'C-42' } })
    await publish(gw, 'v1/gateway/telemetry', { 'SN-001': [{ ts: 1700000000000, values: { temperature: '23.5', humidity: '60' } }] })

    // Recorded before the PUBACK: no waiting needed once publishAsync resolved.
    const d = sandbox.state.devices.get('SN-001')
    expect(d).toMatchObject({
      name: 'SN-001',
      type: 'Thermometer',
      lastConnectType: 'Thermometer',
      connected: true,
      connectCount: 1,
      autoCreated: false,
      dataBeforeConnect: 0,
      attributes: { connectorType: 'rest', connectorName: 'REST Connector', model: 'T1000', certificateNumber: 'C-42' },
      duplicates: 0,
    })
    expect(d?.telemetry).toEqual([{ ts: 1700000000000, values: { temperature: '23.5', humidity: '60' }, receivedAt: expect.any(Number), duplicate: false }])
    expect(d?.latest).toEqual({ temperature: { ts: 1700000000000, value: '23.5' }, humidity: { ts: 1700000000000, value: '60' } })

    const msgs = sandbox.messages()
    expect(msgs.map((m) => [m.seq, m.kind, m.topic, m.clientId, m.direction, m.qos])).toEqual([
      [1, 'connect', 'v1/gateway/connect', 'gw-1', 'up', 1],
      [2, 'attributes', 'v1/gateway/attributes', 'gw-1', 'up', 1],
      [3, 'attributes', 'v1/gateway/attributes', 'gw-1', 'up', 1],
      [4, 'telemetry', 'v1/gateway/telemetry', 'gw-1', 'up', 1],
    ])
    expect(msgs[0]?.raw).toBe('{"device":"SN-001","type":"Thermometer"}')
    expect(msgs[0]?.payload).toEqual({ device: 'SN-001', type: 'Thermometer' })
    expect(msgs[3]?.devices).toEqual(['SN-001'])
    for (const m of msgs) expect(m.time).toBeGreaterThanOrEqual(before)
    expect(sandbox.state.messageCount).toBe(4)
  })

  it('accepts telemetry without ts ({"D":[{values}]}) and stamps it with the arrival time', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/connect', { device: 'D' })
    const before = Date.now()
    await publish(gw, 'v1/gateway/telemetry', { D: [{ t: 1, h: 2 }] })
    const after = Date.now()
    const d = sandbox.state.devices.get('D')
    expect(d?.type).toBe('default')
    expect(d?.telemetry).toHaveLength(1)
    expect(d?.telemetry[0]?.values).toEqual({ t: 1, h: 2 })
    expect(d?.telemetry[0]?.ts).toBeGreaterThanOrEqual(before)
    expect(d?.telemetry[0]?.ts).toBeLessThanOrEqual(after)
  })

  it('flags data for a device never connected as auto-created with type default', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/telemetry', { Orphan: [{ ts: 1, values: { v: 1 } }] })
    await publish(gw, 'v1/gateway/attributes', { Orphan2: { a: 1 } })
    await publish(gw, 'v1/gateway/connect', { device: 'Orphan', type: 'Pump' })
    await publish(gw, 'v1/gateway/connect', { device: 'Proper', type: 'Pump' })
    await publish(gw, 'v1/gateway/telemetry', { Proper: [{ ts: 1, values: { v: 1 } }] })
    const s = sandbox.state
    // A later connect does not undo the auto-creation (ThingsBoard keeps the profile it created).
    expect(s.devices.get('Orphan')).toMatchObject({ autoCreated: true, type: 'default', lastConnectType: 'Pump', dataBeforeConnect: 1, connectCount: 1 })
    expect(s.devices.get('Orphan2')).toMatchObject({ autoCreated: true, type: 'default', attributes: { a: 1 } })
    expect(s.devices.get('Proper')).toMatchObject({ autoCreated: false, type: 'Pump', dataBeforeConnect: 0 })
  })

  it('counts data sent after a gateway reconnect without a new connect', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const first = await connect(mqttUrl, { clientId: 'gw' })
    await publish(first, 'v1/gateway/connect', { device: 'A', type: 'T' })
    await publish(first, 'v1/gateway/telemetry', { A: [{ ts: 1, values: { v: 1 } }] })
    await first.endAsync()
    await sandbox.waitFor((s) => s.devices.get('A')?.connected === false)
    const second = await connect(mqttUrl, { clientId: 'gw' })
    await publish(second, 'v1/gateway/telemetry', { A: [{ ts: 2, values: { v: 2 } }] })
    expect(sandbox.state.devices.get('A')).toMatchObject({ dataBeforeConnect: 1, autoCreated: false, connected: true })
    await publish(second, 'v1/gateway/connect', { device: 'A', type: 'T' })
    await publish(second, 'v1/gateway/telemetry', { A: [{ ts: 3, values: { v: 3 } }] })
    expect(sandbox.state.devices.get('A')).toMatchObject({ dataBeforeConnect: 1, connectCount: 2 })
  })

  it('records v1/gateway/disconnect', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/connect', { device: 'A', type: 'T' })
    await publish(gw, 'v1/gateway/disconnect', { device: 'A' })
    await publish(gw, 'v1/gateway/disconnect', { device: 'Ghost' })
    expect(sandbox.state.devices.get('A')).toMatchObject({ connected: false, disconnectCount: 1, connectCount: 1 })
    expect(sandbox.state.devices.has('Ghost')).toBe(false)
  })

  it('counts duplicates: same device, ts and values seen twice (key order does not matter)', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/connect', { device: 'A' })
    await publish(gw, 'v1/gateway/connect', { device: 'B' })
    await publish(gw, 'v1/gateway/telemetry', { A: [{ ts: 1, values: { x: 1, y: 2 } }], B: [{ ts: 1, values: { x: 1, y: 2 } }] })
    await publish(gw, 'v1/gateway/telemetry', {
      A: [
        { ts: 1, values: { y: 2, x: 1 } },
        { ts: 2, values: { x: 1, y: 2 } },
      ],
    })
    await publish(gw, 'v1/gateway/telemetry', { A: [{ ts: 1, values: { x: 1, y: 3 } }] })
    const a = sandbox.state.devices.get('A')
    expect(a?.duplicates).toBe(1)
    expect(a?.telemetry.map((e) => e.duplicate)).toEqual([false, true, false, false])
    expect(sandbox.state.devices.get('B')?.duplicates).toBe(0)
    expect(sandbox.state.duplicates).toBe(1)
  })

  it('records malformed JSON as such and keeps working', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/telemetry', '{bad')
    await publish(gw, 'v1/gateway/connect', 'not json at all')
    await publish(gw, 'v1/gateway/connect', { device: 'Still-OK' })
    const [bad, bad2, ok] = sandbox.messages()
    expect(bad).toMatchObject({ kind: 'telemetry', raw: '{bad', malformed: true, payload: undefined, devices: [] })
    expect(bad?.problem).toMatch(/^malformed JSON/)
    expect(bad2).toMatchObject({ kind: 'connect', malformed: true })
    expect(ok).toMatchObject({ malformed: false, devices: ['Still-OK'] })
    expect(sandbox.state.malformed).toBe(2)
    expect(sandbox.state.devices.size).toBe(1)
  })

  it('records valid JSON of the wrong shape with the reason, applying the usable part', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/connect', { name: 'no device key' })
    await publish(gw, 'v1/gateway/telemetry', { A: [{ ts: 1, values: { v: 1 } }, 'oops', { ts: 'x', values: {} }] })
    await publish(gw, 'v1/gateway/attributes', [1, 2])
    const [c, t, a] = sandbox.messages()
    expect(c?.problem).toContain('expected {"device"')
    expect(t?.problem).toBe('A[1]: entry is not an object; A[2]: ts "x" is not a number')
    expect(a?.problem).toContain('expected {"<device>"')
    expect(sandbox.state.devices.get('A')?.telemetry).toHaveLength(1)
    expect(sandbox.state.malformed).toBe(0)
  })

  it('gives one human-readable log line per message', async () => {
    const lines: string[] = []
    const { mqttUrl } = await startSandbox({ log: (l) => lines.push(l) })
    const gw = await connect(mqttUrl, { clientId: 'gw-log' })
    await publish(gw, 'v1/gateway/telemetry', { Auto: [{ ts: 1, values: { v: 1 } }] })
    const telemetryLines = lines.filter((l) => l.includes('telemetry'))
    expect(telemetryLines).toHaveLength(1)
    expect(telemetryLines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} gw-log → telemetry +Auto \{"Auto":\[\{"ts":1,"values":\{"v":1\}\}\]\}  \[Auto auto-created/)
    expect(lines.some((l) => l.endsWith('gw-log connected'))).toBe(true)
  })

  it('survives a log callback that throws', async () => {
    const { sandbox, mqttUrl } = await startSandbox({
      log: () => {
        throw new Error('broken sink')
      },
    })
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/connect', { device: 'A' })
    await gw.subscribeAsync('v1/gateway/attributes', { qos: 1 })
    await sandbox.sendAttributeUpdate('A', { k: 1 })
    expect(sandbox.state.devices.get('A')).toMatchObject({ connectCount: 1, sharedAttributes: { k: 1 } })
  })

  it('clear() forgets traffic but keeps devices; clear({ devices: true }) forgets everything', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/connect', { device: 'A', type: 'T' })
    await publish(gw, 'v1/gateway/attributes', { A: { k: 1 } })
    await publish(gw, 'v1/gateway/telemetry', {
      A: [
        { ts: 1, values: { v: 1 } },
        { ts: 1, values: { v: 1 } },
      ],
    })
    sandbox.clear()
    expect(sandbox.messages()).toEqual([])
    expect(sandbox.state).toMatchObject({ messageCount: 0, duplicates: 0 })
    expect(sandbox.state.devices.get('A')).toMatchObject({ type: 'T', connected: true, connectCount: 0, telemetry: [], duplicates: 0, attributes: { k: 1 } })
    // Same values again: not a duplicate any more, and the device is still connected (no auto-create).
    await publish(gw, 'v1/gateway/telemetry', { A: [{ ts: 1, values: { v: 1 } }] })
    expect(sandbox.state.devices.get('A')).toMatchObject({ duplicates: 0, dataBeforeConnect: 0, autoCreated: false })
    expect(sandbox.messages()[0]?.seq).toBe(1)
    sandbox.clear({ devices: true })
    expect(sandbox.state.devices.size).toBe(0)
  })

  it('keeps only the last maxMessages messages but counts them all', async () => {
    const { sandbox, mqttUrl } = await startSandbox({ maxMessages: 5 })
    const gw = await connect(mqttUrl)
    for (let i = 0; i < 12; i++) await publish(gw, 'v1/gateway/telemetry', { A: [{ ts: i, values: { i } }] })
    expect(sandbox.messages().map((m) => m.seq)).toEqual([8, 9, 10, 11, 12])
    expect(sandbox.state.messageCount).toBe(12)
    expect(sandbox.state.devices.get('A')?.telemetry).toHaveLength(12)
  })

  it('filters messages by kind, topic, direction and device', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    await publish(gw, 'v1/gateway/connect', { device: 'A' })
    await publish(gw, 'v1/gateway/telemetry', { A: [{ ts: 1, values: { v: 1 } }], B: [{ ts: 1, values: { v: 1 } }] })
    await publish(gw, 'custom/topic', { any: 1 })
    expect(sandbox.messages({ kind: 'telemetry' })).toHaveLength(1)
    expect(sandbox.messages({ device: 'B' }).map((m) => m.kind)).toEqual(['telemetry'])
    expect(sandbox.messages({ topic: 'custom/topic' })[0]).toMatchObject({ kind: 'other', payload: { any: 1 } })
    expect(sandbox.messages({ direction: 'down' })).toEqual([])
  })
})
