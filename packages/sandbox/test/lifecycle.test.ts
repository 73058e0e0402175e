import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createSandbox, SandboxError } from '../src/index.ts'
import { connect, publish, quietLogger, startSandbox } from './_helpers.ts'

describe('lifecycle', () => {
  it('start() is idempotent and reports the bound ephemeral port', async () => {
    const { sandbox, mqttUrl, port } = await startSandbox()
    expect(port).toBeGreaterThan(0)
    expect(mqttUrl).toBe(`mqtt://127.0.0.1:${port}`)
    expect(await sandbox.start()).toEqual({ mqttUrl, port })
    expect(sandbox.address).toEqual({ mqttUrl, port })
  })

  it('restart() listens on the same ports and keeps the state; devices are disconnected with their gateway', async () => {
    const { sandbox, mqttUrl, port, httpUrl } = await startSandbox({ httpPort: 0 })
    const gw = await connect(mqttUrl, { clientId: 'gw' })
    await publish(gw, 'v1/gateway/connect', { device: 'A', type: 'T' })
    await publish(gw, 'v1/gateway/telemetry', { A: [{ ts: 1, values: { v: 1 } }] })
    sandbox.setAttributes('A', { shared: { s: 1 } })

    const again = await sandbox.restart()
    expect(again).toEqual({ mqttUrl, port, httpUrl, httpPort: Number(new URL(httpUrl ?? '').port) })
    expect(sandbox.state.devices.get('A')).toMatchObject({ type: 'T', connected: false, connectCount: 1, sharedAttributes: { s: 1 } })
    expect(sandbox.state.devices.get('A')?.telemetry).toHaveLength(1)
    expect(sandbox.state.clients.size).toBe(0)

    const gw2 = await connect(mqttUrl, { clientId: 'gw' })
    await publish(gw2, 'v1/gateway/telemetry', { A: [{ ts: 2, values: { v: 2 } }] })
    expect(sandbox.state.devices.get('A')).toMatchObject({ dataBeforeConnect: 1, autoCreated: false })
    expect(sandbox.state.messageCount).toBe(3)
    const res = await fetch(`${httpUrl}/api/devices`)
    expect(res.status).toBe(200)
  })

  it('restart() keeps a pending sendRpc, which the reconnected gateway can still answer', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const reply = sandbox.sendRpc('D', 'm', {}, { timeoutMs: 5000 })
    await sandbox.restart()
    const gw = await connect(mqttUrl)
    const request = sandbox.messages({ kind: 'rpcRequest' })[0]
    const id = (request?.payload as { data: { id: number } } | undefined)?.data.id
    expect(id).toBe(1)
    await publish(gw, 'v1/gateway/rpc', { device: 'D', id, data: { result: 1 } })
    await expect(reply).resolves.toEqual({ result: 1 })
  })

  it('stop() rejects pending RPCs and waiters with STOPPED and frees the port', async () => {
    const { sandbox, port } = await startSandbox()
    const reply = sandbox.sendRpc('D', 'm', {}, { timeoutMs: 5000 })
    const waiting = sandbox.waitFor((s) => s.devices.has('never'), 5000)
    const replyRejected = expect(reply).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'STOPPED'))
    const waitRejected = expect(waiting).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'STOPPED'))
    await sandbox.stop()
    await replyRejected
    await waitRejected
    expect(sandbox.address).toBeUndefined()
    await sandbox.stop()
    const probe = createServer()
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', () => resolve()))
    await new Promise<void>((resolve) => probe.close(() => resolve()))
  })

  it('stop() closes a connection that never sent CONNECT', async () => {
    const { sandbox, port } = await startSandbox()
    const { connect: tcp } = await import('node:net')
    const socket = tcp(port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    await sandbox.stop()
    await closed
  })

  it('fails with LISTEN_FAILED when the port is taken', async () => {
    const { port } = await startSandbox()
    const second = createSandbox({ port, logger: quietLogger() })
    await expect(second.start()).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'LISTEN_FAILED') && (e as Error).message.includes(`127.0.0.1:${port}`))
    expect(second.address).toBeUndefined()
  })

  it('releases the MQTT port when the HTTP port is taken', async () => {
    const { httpUrl } = await startSandbox({ httpPort: 0 })
    const httpPort = Number(new URL(httpUrl ?? '').port)
    const second = createSandbox({ port: 0, httpPort, logger: quietLogger() })
    await expect(second.start()).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'LISTEN_FAILED') && (e as Error).message.includes('HTTP'))
    await second.stop()
  })
})

describe('waitFor', () => {
  it('resolves with the first truthy result, treating a throwing predicate as "not yet"', async () => {
    const { sandbox, mqttUrl } = await startSandbox()
    const gw = await connect(mqttUrl)
    const device = sandbox.waitFor((s) => s.devices.get('Late')!.telemetry.length > 0 && s.devices.get('Late'))
    await publish(gw, 'v1/gateway/connect', { device: 'Late' })
    await publish(gw, 'v1/gateway/telemetry', { Late: [{ ts: 5, values: { v: 1 } }] })
    expect((await device).name).toBe('Late')
  })

  it('rejects with WAIT_TIMEOUT naming the last predicate error', async () => {
    const { sandbox } = await startSandbox()
    const waiting = sandbox.waitFor((s) => s.devices.get('none')!.connected, 50)
    await expect(waiting).rejects.toSatisfy((e: unknown) => SandboxError.is(e, 'WAIT_TIMEOUT') && /50 ms.*predicate last threw/.test((e as Error).message))
  })
})
