import type { MqttClient } from 'mqtt'
import { describe, expect, it, vi } from 'vitest'
import { SandboxError } from '../src/index.ts'
import { connect, inbox, nextMessage, publish, startSandbox } from './_helpers.ts'

type RpcMsg = { device: string; data: { id: number; method: string; params: unknown } }

/** A gateway stand-in that records RPCs and answers them when told to. */
async function rpcGateway(mqttUrl: string): Promise<{ gw: MqttClient; requests: RpcMsg[] }> {
  const gw = await connect(mqttUrl)
  await gw.subscribeAsync('v1/gateway/rpc', { qos: 1 })
  const requests: RpcMsg[] = []
  gw.on('message', (topic, payload) => {
    if (topic === 'v1/gateway/rpc') requests.push(JSON.parse(payload.toString()) as RpcMsg)
  })
  return { gw, requests }
}

describe('sendRpc', () => {
  it('publishes the Gateway API RPC and resolves with the data of the reply matched by device and id', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const { gw, requests } = await rpcGateway(mqttUrl)
    const a = sandbox.sendRpc('Dev A', 'echo', { x: 1 })
    const b = sandbox.sendRpc('Dev B', 'setTemp', { zone: 'k', value: 21.5 })
    await vi.waitFor(() => expect(requests).toHaveLength(2), { timeout: 5_000 })
    const [ra, rb] = requests
    expect(ra).toEqual({ device: 'Dev A', data: { id: expect.any(Number), method: 'echo', params: { x: 1 } } })
    expect(rb?.data.method).toBe('setTemp')
    expect(ra?.data.id).not.toBe(rb?.data.id)

    // A reply with the right id but another device, and one with an unknown id, settle nothing.
    await publish(gw, 'v1/gateway/rpc', { device: 'Dev B', id: ra?.data.id, data: { result: 'wrong device' } })
    await publish(gw, 'v1/gateway/rpc', { device: 'Dev A', id: 12345, data: { result: 'late' } })
    // Replies in reverse order.
    await publish(gw, 'v1/gateway/rpc', { device: 'Dev B', id: rb?.data.id, data: { result: { ok: true } } })
    await publish(gw, 'v1/gateway/rpc', { device: 'Dev A', id: ra?.data.id, data: { result: 'echoed' } })
    await expect(a).resolves.toEqual({ result: 'echoed' })
    await expect(b).resolves.toEqual({ result: { ok: true } })
    expect(sandbox.state.unmatchedRpcReplies).toBe(2)
    expect(sandbox.messages({ kind: 'rpcRequest' })).toHaveLength(2)
    expect(sandbox.messages({ kind: 'rpcReply' })).toHaveLength(4)
  })

  it('sends params {} when none are given, and a string id in the reply still matches', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const { gw, requests } = await rpcGateway(mqttUrl)
    const reply = sandbox.sendRpc('D', 'ping')
    await vi.waitFor(() => expect(requests).toHaveLength(1), { timeout: 5_000 })
    expect(requests[0]?.data.params).toEqual({})
    await publish(gw, 'v1/gateway/rpc', { device: 'D', id: String(requests[0]?.data.id), data: { error: 'Request timeout', code: 408 } })
    await expect(reply).resolves.toEqual({ error: 'Request timeout', code: 408 })
  })

  it('rejects with RPC_TIMEOUT when no reply comes in time, and a late reply is then unmatched', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const { gw, requests } = await rpcGateway(mqttUrl)
    const reply = sandbox.sendRpc('D', 'slow', null, { timeoutMs: 150 })
    await expect(reply).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'RPC_TIMEOUT') && /"slow".*"D".*150 ms/.test((e as Error).message))
    await vi.waitFor(() => expect(requests).toHaveLength(1), { timeout: 5_000 })
    await publish(gw, 'v1/gateway/rpc', { device: 'D', id: requests[0]?.data.id, data: { result: 'late' } })
    expect(sandbox.state.unmatchedRpcReplies).toBe(1)
  })

  it('refuses bad arguments and a sandbox that is not started', async () => {
    const { sandbox } = await startSandbox()
    await expect(sandbox.sendRpc('', 'x')).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'INVALID_ARGUMENT'))
    await sandbox.stop()
    await expect(sandbox.sendRpc('D', 'x')).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'NOT_STARTED'))
    await expect(sandbox.sendAttributeUpdate('D', { a: 1 })).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'NOT_STARTED'))
  })
})

describe('sendAttributeUpdate', () => {
  it('publishes {"device","data"} on v1/gateway/attributes and keeps the values as shared attributes', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    await gw.subscribeAsync('v1/gateway/attributes', { qos: 1 })
    await publish(gw, 'v1/gateway/connect', { device: 'SN-001', type: 'T' })
    const got = nextMessage(gw, 'v1/gateway/attributes')
    await sandbox.sendAttributeUpdate('SN-001', { firmware: '1.2', on: true })
    expect((await got).raw).toBe('{"device":"SN-001","data":{"firmware":"1.2","on":true}}')
    expect(sandbox.state.devices.get('SN-001')?.sharedAttributes).toEqual({ firmware: '1.2', on: true })
    expect(sandbox.messages({ direction: 'down' })[0]).toMatchObject({ kind: 'attributeUpdate', clientId: null, devices: ['SN-001'] })
  })
})

async function requester(mqttUrl: string): Promise<MqttClient> {
  const gw = await connect(mqttUrl)
  await gw.subscribeAsync('v1/gateway/attributes/response', { qos: 1 })
  return gw
}

describe('attribute requests', () => {
  it('answers one key with "value" and several with "values", from shared or client attributes', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    sandbox.setAttributes('SN-001', { shared: { model: 'T1000', fw: '1.0' }, client: { serial: 'S-1' } })
    const gw = await requester(mqttUrl)
    let got = nextMessage(gw, 'v1/gateway/attributes/response')
    await publish(gw, 'v1/gateway/attributes/request', { id: 7, device: 'SN-001', client: false, keys: ['model'] })
    expect((await got).raw).toBe('{"id":7,"device":"SN-001","value":"T1000"}')

    got = nextMessage(gw, 'v1/gateway/attributes/response')
    await publish(gw, 'v1/gateway/attributes/request', { id: 8, device: 'SN-001', client: false, keys: ['model', 'fw', 'missing'] })
    expect((await got).payload).toEqual({ id: 8, device: 'SN-001', values: { model: 'T1000', fw: '1.0' } })

    got = nextMessage(gw, 'v1/gateway/attributes/response')
    await publish(gw, 'v1/gateway/attributes/request', { id: 9, device: 'SN-001', client: true, keys: ['serial'] })
    expect((await got).payload).toEqual({ id: 9, device: 'SN-001', value: 'S-1' })

    // Client attributes the gateway itself reported are answered too; a missing single key has no "value".
    await publish(gw, 'v1/gateway/attributes', { 'SN-001': { reported: 5 } })
    got = nextMessage(gw, 'v1/gateway/attributes/response')
    await publish(gw, 'v1/gateway/attributes/request', { id: 10, device: 'SN-001', client: true, keys: ['reported', 'serial'] })
    expect((await got).payload).toEqual({ id: 10, device: 'SN-001', values: { reported: 5, serial: 'S-1' } })
    got = nextMessage(gw, 'v1/gateway/attributes/response')
    await publish(gw, 'v1/gateway/attributes/request', { id: 11, device: 'SN-001', client: false, keys: ['nope'] })
    expect((await got).payload).toEqual({ id: 11, device: 'SN-001' })
    expect(sandbox.messages({ kind: 'attributeResponse' }).map((m) => m.clientId)).toEqual(Array(5).fill(gw.options.clientId))
  })

  it('answers only the client that asked', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    sandbox.setAttributes('D', { shared: { k: 1 } })
    const asker = await requester(mqttUrl)
    const other = await requester(mqttUrl)
    const otherGot = inbox(other)
    const got = nextMessage(asker, 'v1/gateway/attributes/response')
    await publish(asker, 'v1/gateway/attributes/request', { id: 1, device: 'D', client: false, keys: ['k'] })
    await got
    // A later broadcast reaches `other`: nothing arrived before it.
    await other.subscribeAsync('v1/gateway/attributes', { qos: 1 })
    const update = nextMessage(other, 'v1/gateway/attributes')
    await sandbox.sendAttributeUpdate('D', { k: 2 })
    await update
    expect(otherGot.map((m) => m.topic)).toEqual(['v1/gateway/attributes'])
  })

  it('answers after attributeResponseDelayMs', async () => {
    const { sandbox, mqttUrl } = await startSandbox({ attributeResponseDelayMs: 200 })
    sandbox.setAttributes('D', { shared: { k: 'v' } })
    const gw = await requester(mqttUrl)
    const started = Date.now()
    const got = nextMessage(gw, 'v1/gateway/attributes/response')
    await publish(gw, 'v1/gateway/attributes/request', { id: 1, device: 'D', client: false, keys: ['k'] })
    expect((await got).payload).toEqual({ id: 1, device: 'D', value: 'v' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(195)
  })

  it('stays silent with answerAttributeRequests: false (and answers again once configured back)', async () => {
    const { sandbox, mqttUrl } = await startSandbox({ answerAttributeRequests: false })
    sandbox.setAttributes('D', { shared: { k: 'v' } })
    const gw = await requester(mqttUrl)
    const all = inbox(gw)
    await publish(gw, 'v1/gateway/attributes/request', { id: 1, device: 'D', client: false, keys: ['k'] })
    sandbox.configure({ answerAttributeRequests: true })
    const got = nextMessage(gw, 'v1/gateway/attributes/response')
    await publish(gw, 'v1/gateway/attributes/request', { id: 2, device: 'D', client: false, keys: ['k'] })
    await got
    expect(all.map((m) => (m.payload as { id: number }).id)).toEqual([2])
    expect(sandbox.messages({ kind: 'attributeRequest' })).toHaveLength(2)
  })

  it("shapes answers by the number of attributes found with attributeResponseShape: 'found' (ThingsBoard's own rule)", async () => {
    const { sandbox, mqttUrl } = await startSandbox({ attributeResponseShape: 'found' })
    sandbox.setAttributes('D', { shared: { a: 1 } })
    const gw = await requester(mqttUrl)
    const got = nextMessage(gw, 'v1/gateway/attributes/response')
    await publish(gw, 'v1/gateway/attributes/request', { id: 3, device: 'D', client: false, keys: ['a', 'b'] })
    expect((await got).payload).toEqual({ id: 3, device: 'D', value: 1 })
  })
})

describe('getSessionLimits', () => {
  it('answers v1/devices/me/rpc/request/<n> on v1/devices/me/rpc/response/<n> with ThingsBoard-like limits', async () => {
    const { mqttUrl } = await startSandbox({ sessionLimits: { maxPayloadSize: 1000, rateLimits: { messages: '10:1' } } })
    const gw = await connect(mqttUrl)
    await gw.subscribeAsync('v1/devices/me/rpc/response/+', { qos: 1 })
    const got = nextMessage(gw, 'v1/devices/me/rpc/response/1')
    await publish(gw, 'v1/devices/me/rpc/request/1', { method: 'getSessionLimits', params: { timeout: 5000 } })
    expect((await got).payload).toEqual({
      maxPayloadSize: 1000,
      maxInflightMessages: 100,
      rateLimits: { messages: '10:1', telemetryMessages: '', telemetryDataPoints: '' },
      gatewayRateLimits: { messages: '', telemetryMessages: '', telemetryDataPoints: '' },
    })
  })

  it('does not answer with sessionLimits: false', async () => {
    const { sandbox, mqttUrl } = await startSandbox({ sessionLimits: false })
    const gw = await connect(mqttUrl)
    await gw.subscribeAsync(['v1/devices/me/rpc/response/+', 'v1/devices/me/attributes/response/+'], { qos: 1 })
    const all = inbox(gw)
    await publish(gw, 'v1/devices/me/rpc/request/1', { method: 'getSessionLimits', params: {} })
    // The gateway's request for its own attributes is answered ({}): it arrives, the limits never did.
    const got = nextMessage(gw, 'v1/devices/me/attributes/response/2')
    await publish(gw, 'v1/devices/me/attributes/request/2', { sharedKeys: 'a,b' })
    expect((await got).payload).toEqual({})
    expect(all.map((m) => m.topic)).toEqual(['v1/devices/me/attributes/response/2'])
    expect(sandbox.messages({ kind: 'sessionLimitsRequest' })).toHaveLength(1)
  })
})
