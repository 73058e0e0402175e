/** Issue 10: bounded queue with visible drops, absolute deadlines, per-origin limit under churn, only configured headers, the reserved-RPC switch. */
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { attributeUpdateRule, dispatcherFor, rpcRule, sendJson, startTarget } from './_helpers.ts'

describe('bounds', () => {
  it('holds messages beyond maxActiveMessages, drops beyond maxQueuedMessages with a 503 reply, counted and logged', async () => {
    const dead = await startTarget(() => undefined)
    const { dispatcher, replies, logger } = dispatcherFor(
      { serverSideRpc: [rpcRule({ requestUrlExpression: `${dead.url}/\${requestId}`, timeout: 30, tries: 1, responseTimeout: 30 })] },
      { maxActiveMessages: 1, maxQueuedMessages: 1 },
    )
    const admitted: number[] = []
    const calls = [1, 2, 3].map((id) => dispatcher.onRpc({ device: 'd', data: { id, method: 'm' } }, { onAdmitted: () => admitted.push(id) }))
    await expect.poll(() => dead.received.length).toBe(1)
    // 1 is worked on, 2 waits (its MQTT ack held), 3 is dropped at once with an error reply
    await expect.poll(() => replies.length).toBe(1)
    expect(replies[0]).toMatchObject({ id: 3, data: { code: 503 } })
    expect(String((replies[0]?.data as { error?: string } | undefined)?.error)).toContain('downlink.maxQueuedMessages')
    expect(admitted.toSorted()).toEqual([1, 3])
    expect(dispatcher.stats()).toMatchObject({ dropped: 1, activeMessages: 1, queuedMessages: 1 })
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('downlink queue full'))).toBe(true)
    await dispatcher.close()
    await Promise.all(calls)
    expect(replies.map((r) => r.id).toSorted()).toEqual([1, 2, 3])
    expect(admitted.toSorted()).toEqual([1, 2, 3])
  })

  it('an RPC whose deadline passes while it waits gets its 408 then, and never reaches the target', async () => {
    const dead = await startTarget(() => undefined)
    // the one active slot is taken by an RPC with a long deadline (the target never answers), so the
    // two waiting behind it certainly pass their deadline while they wait (with equal deadlines the
    // first's 408 could free the room a millisecond before the next one's deadline)
    const { dispatcher, replies } = dispatcherFor(
      {
        serverSideRpc: [
          rpcRule({ methodFilter: 'slow', requestUrlExpression: `${dead.url}/\${requestId}`, timeout: 30, tries: 1, responseTimeout: 30 }, 0),
          rpcRule({ methodFilter: 'm', requestUrlExpression: `${dead.url}/\${requestId}`, timeout: 30, tries: 1, responseTimeout: 0.3 }, 1),
        ],
      },
      { maxActiveMessages: 1 },
    )
    const slow = dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'slow' } })
    await expect.poll(() => dead.received.length).toBe(1)
    const started = Date.now()
    const reports = await Promise.all([2, 3].map((id) => dispatcher.onRpc({ device: 'd', data: { id, method: 'm' } })))
    expect(reports.every((r) => r.replied)).toBe(true)
    expect(replies.map((r) => [r.id, (r.data as { code: number }).code]).toSorted((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [2, 408],
      [3, 408],
    ])
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(dead.received.map((r) => r.url)).toEqual(['/1'])
    expect(dispatcher.stats().expired).toBe(2)
    await dispatcher.close()
    await slow
  })

  it('never has more than maxConcurrencyPerOrigin connections open at a hanging target, aborted tries included', async () => {
    // the target counts in its own process (in this one its view of closes would wait for the
    // dispatcher's work), one loop turn after each accept (see the child)
    const child = fork(fileURLToPath(new URL('./_counting-target-child.mjs', import.meta.url)), { stdio: 'inherit' })
    onTestFinished(() => {
      if (child.connected) child.disconnect()
    })
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)))
    const view = (): Promise<{ peak: number; open: number; connections: number }> =>
      new Promise((resolve) => {
        child.once('message', resolve)
        child.send({})
      })
    const { dispatcher, replies } = dispatcherFor(
      { serverSideRpc: [rpcRule({ requestUrlExpression: `http://127.0.0.1:${port}/\${requestId}`, timeout: 0.05, tries: 3, responseTimeout: 1 })] },
      { maxConcurrencyPerOrigin: 4, retryBaseMs: 1, retryCapMs: 5 },
    )
    // a busy event loop (as in the gateway under a flood): connects and closes are seen late
    const spin = setInterval(() => {
      const end = performance.now() + 10
      while (performance.now() < end);
    }, 15)
    onTestFinished(() => clearInterval(spin))
    // aborts at per-try timeouts (while writing or still connecting), and deadlines passing while queued
    await Promise.all(Array.from({ length: 150 }, (_, id) => dispatcher.onRpc({ device: 'd', data: { id, method: 'm' } })))
    clearInterval(spin)
    expect(replies).toHaveLength(150)
    // Each slot of the origin limiter has its own undici Client (one socket at a time). With undici's
    // Agent the target saw 5–8: the Agent drops an origin's Pool (and makes a new one) while the old
    // Pool's sockets are still connecting or busy.
    expect(dispatcher.stats().inFlight).toBe(0)
    await dispatcher.close()
    // every socket closed, and the target has seen it (its process may lag on a loaded machine)
    await vi.waitFor(
      async () => {
        const now = await view()
        expect(now.connections).toBeGreaterThan(0)
        expect(now.open).toBe(0)
      },
      { timeout: 15_000, interval: 50 },
    )
    const { peak, connections } = await view()
    expect(peak).toBeGreaterThan(0)
    expect(connections).toBeGreaterThanOrEqual(peak)
    expect(peak).toBeLessThanOrEqual(4)
  })
})

describe('what leaves the gateway', () => {
  it("sends exactly the configured headers (rendered) plus HTTP's own", async () => {
    const target = await startTarget((_req, res) => sendJson(res, 200, {}))
    const { dispatcher } = dispatcherFor({
      attributeUpdates: [
        attributeUpdateRule({
          requestUrlExpression: `${target.url}/a`,
          valueExpression: '${attributeValue}',
          httpHeaders: { 'X-Device': '${deviceName}', 'X-Fixed': 'yes' },
        }),
      ],
      serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/r`, valueExpression: '', responseTimeout: 5 })],
    })
    await dispatcher.onAttributeUpdate({ device: 'D1', data: { k: 'text' } })
    await dispatcher.onRpc({ device: 'D1', data: { id: 1, method: 'm' } })
    const [update, rpc] = target.received
    expect(Object.keys(update?.headers ?? {}).toSorted()).toEqual(['connection', 'content-length', 'host', 'x-device', 'x-fixed'])
    expect(update?.headers['x-device']).toBe('D1')
    expect(update?.body).toBe('text')
    expect(Object.keys(rpc?.headers ?? {}).toSorted()).toEqual(['connection', 'host'])
  })

  it('refuses a header value with CR/LF per call: 400 reply, never sent, never retried', async () => {
    const target = await startTarget((_req, res) => sendJson(res, 200, {}))
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/r`, httpHeaders: { 'X-Token': '${params.t}' }, responseTimeout: 5, tries: 3 })],
    })
    await dispatcher.onRpc({ device: 'D1', data: { id: 1, method: 'm', params: { t: 'a\r\nX-Evil: 1' } } })
    expect(replies[0]?.data).toMatchObject({ code: 400 })
    expect(String((replies[0]?.data as { error?: string } | undefined)?.error)).toContain('CR, LF')
    expect(target.received).toHaveLength(0)
    // reserved set with a constant CRLF header
    await dispatcher.onRpc({
      device: 'D1',
      data: { id: 2, method: 'set', params: { requestUrlExpression: `${target.url}/s`, httpHeaders: { 'x-a': 'b\nc' } } },
    })
    expect(replies[1]?.data).toMatchObject({ code: 400 })
    expect(target.received).toHaveLength(0)
  })
})

describe('reserved get/set switch (reservedRpc)', () => {
  it('allowed, refused and disabled', async () => {
    const target = await startTarget((req, res) => sendJson(res, 200, { path: req.url }))
    const get = (url: string) => ({ device: 'D', data: { id: 1, method: 'get', params: { requestUrlExpression: url } } })
    const allowHost = dispatcherFor({}, { reservedRpc: { enabled: true, allow: [`127.0.0.1:${target.port}`], configKey: 'reservedRpc (rest.json)' } })
    await allowHost.dispatcher.onRpc(get(`${target.url}/any`))
    expect(allowHost.replies[0]?.data).toEqual({ result: { path: '/any' } })

    const prefix = dispatcherFor({}, { reservedRpc: { enabled: true, allow: [`${target.url}/ok/`], configKey: 'reservedRpc (rest.json)' } })
    await prefix.dispatcher.onRpc(get(`${target.url}/ok/1`))
    await prefix.dispatcher.onRpc(get(`${target.url}/nope`))
    expect(prefix.replies[0]?.data).toEqual({ result: { path: '/ok/1' } })
    expect(prefix.replies[1]?.data).toMatchObject({ code: 403 })
    expect(String((prefix.replies[1]?.data as { error?: string } | undefined)?.error)).toContain('reservedRpc.allow (rest.json)')
    expect(prefix.dispatcher.stats().refused).toBe(1)

    const off = dispatcherFor({}, { reservedRpc: { enabled: false, allow: [], configKey: 'reservedRpc (rest.json)' } })
    await off.dispatcher.onRpc(get(`${target.url}/x`))
    expect(off.replies[0]?.data).toMatchObject({ code: 403 })
    expect(String((off.replies[0]?.data as { error?: string } | undefined)?.error)).toContain('reservedRpc.enabled (rest.json)')
    expect(target.received.map((r) => r.url)).toEqual(['/any', '/ok/1'])
  })
})
