import type { MqttClient } from 'mqtt'
import { describe, expect, it, vi } from 'vitest'
import { SandboxError } from '../src/index.ts'
import { connect, inbox, nextMessage, publish, startSandbox } from './_helpers.ts'

const DOWN = ['v1/gateway/attributes', 'v1/gateway/rpc']

/** A gateway with its own token, subscribed to the downlink topics, collecting what it gets. */
async function gateway(mqttUrl: string, token: string, clientId: string): Promise<{ gw: MqttClient; got: ReturnType<typeof inbox> }> {
  const gw = await connect(mqttUrl, { username: token, clientId })
  await gw.subscribeAsync(DOWN, { qos: 1 })
  return { gw, got: inbox(gw) }
}

describe('several gateways (one per access token)', () => {
  it('routes downlink to the gateway that last connected the device, by connect, data or attribute request', async () => {
    const { sandbox, mqttUrl } = await startSandbox({ accessToken: ['tok-A', 'tok-B'] })
    const a = await gateway(mqttUrl, 'tok-A', 'gw-a')
    const b = await gateway(mqttUrl, 'tok-B', 'gw-b')
    await publish(a.gw, 'v1/gateway/connect', { device: 'D1', type: 'T' })
    await publish(b.gw, 'v1/gateway/connect', { device: 'D2', type: 'T' })
    expect(sandbox.ownerOf('D1')).toEqual({ clientId: 'gw-a', token: 'tok-A' })
    expect(sandbox.ownerOf('D2')).toEqual({ clientId: 'gw-b', token: 'tok-B' })

    const toA = nextMessage(a.gw, 'v1/gateway/attributes')
    const toB = nextMessage(b.gw, 'v1/gateway/attributes')
    await sandbox.sendAttributeUpdate('D1', { k: 1 })
    await sandbox.sendAttributeUpdate('D2', { k: 2 })
    expect((await toA).payload).toEqual({ device: 'D1', data: { k: 1 } })
    expect((await toB).payload).toEqual({ device: 'D2', data: { k: 2 } })
    expect(sandbox.messages({ kind: 'attributeUpdate' }).map((m) => m.clientId)).toEqual(['gw-a', 'gw-b'])

    // B sends telemetry for D1: ThingsBoard connects D1 to B implicitly; its RPC goes to B only.
    await publish(b.gw, 'v1/gateway/telemetry', { D1: [{ ts: 1, values: { v: 1 } }] })
    expect(sandbox.ownerOf('D1')?.clientId).toBe('gw-b')
    const rpc = sandbox.sendRpc('D1', 'm', { x: 1 })
    const request = await nextMessage(b.gw, 'v1/gateway/rpc')
    await publish(b.gw, 'v1/gateway/rpc', { device: 'D1', id: (request.payload as { data: { id: number } }).data.id, data: { ok: 1 } })
    await expect(rpc).resolves.toEqual({ ok: 1 })

    // A asks for D1's attributes: the answer goes to A, and so does D1's next downlink.
    const answer = nextMessage(a.gw, 'v1/gateway/attributes/response')
    await a.gw.subscribeAsync('v1/gateway/attributes/response', { qos: 1 })
    await publish(a.gw, 'v1/gateway/attributes/request', { id: 1, device: 'D1', client: false, keys: ['k'] })
    expect((await answer).payload).toEqual({ id: 1, device: 'D1', value: 1 })
    expect(sandbox.ownerOf('D1')?.clientId).toBe('gw-a')
    const last = nextMessage(a.gw, 'v1/gateway/attributes')
    await sandbox.sendAttributeUpdate('D1', { k: 3 })
    await last

    // Everything each gateway got was for a device it owned at that moment.
    expect(a.got.filter((m) => DOWN.includes(m.topic)).map((m) => m.raw)).toEqual(['{"device":"D1","data":{"k":1}}', '{"device":"D1","data":{"k":3}}'])
    expect(b.got.map((m) => (m.payload as { device: string }).device)).toEqual(['D2', 'D1'])
  })

  it('closes the older session when a second one connects with the same token (as ThingsBoard does)', async () => {
    const lines: string[] = []
    const { sandbox, mqttUrl } = await startSandbox({ accessToken: ['tok-A', 'tok-B'], log: (l) => lines.push(l) })
    const first = await gateway(mqttUrl, 'tok-A', 'first')
    await publish(first.gw, 'v1/gateway/connect', { device: 'D' })
    const other = await gateway(mqttUrl, 'tok-B', 'other')
    const closed = new Promise<void>((resolve) => first.gw.once('close', () => resolve()))
    const second = await gateway(mqttUrl, 'tok-A', 'second')
    await closed
    await sandbox.waitFor((s) => !s.clients.has('first') && s.clients.has('second'))
    expect(sandbox.state.kickedSessions).toBe(1)
    expect(other.gw.connected).toBe(true)
    // The devices of the closed session are no longer connected until the new session connects them.
    expect(sandbox.state.devices.get('D')?.connected).toBe(false)
    expect(sandbox.ownerOf('D')).toBeUndefined()
    await publish(second.gw, 'v1/gateway/connect', { device: 'D' })
    expect(sandbox.ownerOf('D')?.clientId).toBe('second')
    expect(lines.some((l) => l.endsWith('first closed: second connected with the same access token'))).toBe(true)
    expect(lines.join('\n')).not.toContain('tok-A')
  })

  it("unownedDownlink 'none' sends downlink for a device without a connected owner to nobody; 'all' (default) to everyone", async () => {
    const strict = await startSandbox({ accessToken: ['tok-A', 'tok-B'], unownedDownlink: 'none' })
    const a = await gateway(strict.mqttUrl, 'tok-A', 'a')
    await publish(a.gw, 'v1/gateway/connect', { device: 'D' })
    await a.gw.endAsync()
    await strict.sandbox.waitFor((s) => s.devices.get('D')?.connected === false)
    const b = await gateway(strict.mqttUrl, 'tok-B', 'b')
    await expect(strict.sandbox.sendRpc('D', 'm', {}, { timeoutMs: 200 })).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'RPC_TIMEOUT'))
    expect(b.got).toEqual([])
    expect(strict.sandbox.messages({ kind: 'rpcRequest' })).toHaveLength(1)

    const lenient = await startSandbox({ accessToken: ['tok-A', 'tok-B'] })
    const c = await gateway(lenient.mqttUrl, 'tok-A', 'c')
    const d = await gateway(lenient.mqttUrl, 'tok-B', 'd')
    await lenient.sandbox.sendAttributeUpdate('never-connected', { k: 1 })
    await vi.waitFor(() => expect(c.got.length === 1 && d.got.length === 1).toBe(true), { timeout: 5_000 })
  })

  it('refuses a bad unownedDownlink', async () => {
    await expect(startSandbox({ unownedDownlink: 'some' as 'all' })).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'INVALID_OPTION'))
  })
})
