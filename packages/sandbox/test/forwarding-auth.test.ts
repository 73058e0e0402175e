import { logFnOf } from '@restgate/core'
import { describe, expect, it, vi } from 'vitest'
import { connect, inbox, nextMessage, publish, startSandbox } from './_helpers.ts'

describe('no echo to the publisher', () => {
  it('does not send a client its own v1/gateway/attributes and v1/gateway/rpc messages, while other subscribers get them', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl, { clientId: 'gw' })
    const observer = await connect(mqttUrl, { clientId: 'observer' })
    await gw.subscribeAsync(['v1/gateway/attributes', 'v1/gateway/rpc'], { qos: 1 })
    await observer.subscribeAsync(['v1/gateway/attributes', 'v1/gateway/rpc'], { qos: 1 })
    const gwGot = inbox(gw)
    const observerGot = inbox(observer)

    await publish(gw, 'v1/gateway/attributes', { 'SN-1': { model: 'M' } })
    await publish(gw, 'v1/gateway/rpc', { device: 'SN-1', id: 99, data: { result: 'x' } })
    // A downlink sent afterwards reaches the gateway; everything before it would have arrived first.
    const update = nextMessage(gw, 'v1/gateway/attributes')
    await sandbox.sendAttributeUpdate('SN-1', { firmware: '1.2' })
    expect((await update).payload).toEqual({ device: 'SN-1', data: { firmware: '1.2' } })
    await vi.waitFor(() => expect(observerGot).toHaveLength(3), { timeout: 5_000 })

    expect(gwGot.map((m) => m.raw)).toEqual(['{"device":"SN-1","data":{"firmware":"1.2"}}'])
    expect(observerGot.map((m) => m.topic)).toEqual(['v1/gateway/attributes', 'v1/gateway/rpc', 'v1/gateway/attributes'])
    expect(observerGot[0]?.payload).toEqual({ 'SN-1': { model: 'M' } })
  })
})

describe('access token', () => {
  it('accepts a CONNECT whose username is one of the tokens and refuses others with "not authorized"', async () => {
    const { sandbox, mqttUrl } = await startSandbox({ accessToken: ['tok-A', 'tok-B'] })
    const ok = await connect(mqttUrl, { username: 'tok-B', clientId: 'good' })
    expect(ok.connected).toBe(true)
    await sandbox.waitFor((s) => s.clients.has('good'))

    for (const username of ['wrong', undefined]) {
      const refused = connect(mqttUrl, { username, clientId: `bad-${String(username)}` })
      await expect(refused).rejects.toMatchObject({ code: 5 })
    }
    expect(sandbox.state.refusedConnections).toBe(2)
    expect([...sandbox.state.clients.keys()]).toEqual(['good'])
  })

  it('speaks MQTT 3.1.1: an MQTT 5 CONNECT is refused as an unacceptable protocol version', async () => {
    const { mqttUrl } = await startSandbox()
    await expect(connect(mqttUrl, { protocolVersion: 5, clientId: 'v5' })).rejects.toMatchObject({ code: 1 })
  })

  it('accepts anyone when no token is configured', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    await connect(mqttUrl, { username: 'whatever', clientId: 'any' })
    await connect(mqttUrl, { clientId: 'anonymous' })
    await sandbox.waitFor((s) => s.clients.size === 2)
    expect(sandbox.state.refusedConnections).toBe(0)
  })

  it('never logs the token it refused', async () => {
    const warnings: string[] = []
    const lines: string[] = []
    const logger = { debug() {}, info() {}, warn: logFnOf((m, d) => void warnings.push(m + JSON.stringify(d))), error() {} }
    const { mqttUrl } = await startSandbox({ accessToken: 'secret-token', logger, log: (l) => lines.push(l) })
    await expect(connect(mqttUrl, { username: 'secret-tokeX', clientId: 'c1' })).rejects.toMatchObject({ code: 5 })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('access token')
    expect([...warnings, ...lines].join('\n')).not.toContain('secret-toke')
  })
})
