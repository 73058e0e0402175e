/** Concurrency: one dead target never delays others, per-origin bound, replies matched to their ids. */
import { describe, expect, it } from 'vitest'
import type { ServerResponse } from 'node:http'
import { attributeUpdateRule, dispatcherFor, rpcRule, sendJson, startTarget } from './_helpers.ts'

describe('isolation', () => {
  it('a target that never answers does not delay RPCs to another target', async () => {
    const dead = await startTarget(() => undefined)
    const alive = await startTarget((req, res) => sendJson(res, 200, { path: req.url }))
    const { dispatcher, replies } = dispatcherFor(
      {
        serverSideRpc: [
          rpcRule({ methodFilter: 'dead', requestUrlExpression: `${dead.url}/\${requestId}`, timeout: 10, tries: 1, responseTimeout: 10 }),
          rpcRule({ methodFilter: 'alive', requestUrlExpression: `${alive.url}/\${requestId}`, responseTimeout: 5 }, 1),
        ],
      },
      { maxConcurrencyPerOrigin: 4 },
    )
    // more than the dead origin's slots: some of them wait in its queue
    const deadCalls = Array.from({ length: 10 }, (_, i) => dispatcher.onRpc({ device: 'd', data: { id: `dead-${i}`, method: 'dead' } }))
    let deadSettled = false
    void Promise.allSettled(deadCalls).then(() => {
      deadSettled = true
    })
    const aliveReports = await Promise.all(Array.from({ length: 20 }, (_, i) => dispatcher.onRpc({ device: 'd', data: { id: i, method: 'alive' } })))
    expect(aliveReports.every((r) => r.requests[0]?.ok === true)).toBe(true)
    expect(deadSettled).toBe(false)
    expect(replies.map((r) => r.id).toSorted((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(dispatcher.stats()).toMatchObject({ inFlight: 4, waiting: 6 })
    await expect.poll(() => dead.open()).toBe(4)
  })

  it('attribute updates and RPCs run concurrently (an update to a dead target does not block an RPC)', async () => {
    const dead = await startTarget(() => undefined)
    const alive = await startTarget((_req, res) => sendJson(res, 200, { ok: true }))
    const { dispatcher, replies } = dispatcherFor({
      attributeUpdates: [attributeUpdateRule({ requestUrlExpression: `${dead.url}/`, timeout: 10, tries: 1 })],
      serverSideRpc: [rpcRule({ requestUrlExpression: `${alive.url}/`, responseTimeout: 5 })],
    })
    const update = dispatcher.onAttributeUpdate({ device: 'd', data: { a: 1, b: 2 } })
    let updated = false
    void update.then(() => {
      updated = true
    })
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    expect(replies).toEqual([{ device: 'd', id: 1, data: { result: { ok: true } } }])
    expect(updated).toBe(false)
  })

  it('at most maxConcurrencyPerOrigin requests are open against one origin', async () => {
    let open = 0
    let peak = 0
    const held: ServerResponse[] = []
    const target = await startTarget((_req, res) => {
      open++
      peak = Math.max(peak, open)
      held.push(res)
      // answer in batches once the bound is reached, so the queue is exercised
      if (held.length < 3) return
      for (const r of held.splice(0)) {
        open--
        sendJson(r, 200, {})
      }
    })
    const { dispatcher } = dispatcherFor(
      { attributeUpdates: [attributeUpdateRule({ requestUrlExpression: `${target.url}/`, timeout: 5 })] },
      { maxConcurrencyPerOrigin: 3 },
    )
    const data = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i]))
    const report = await dispatcher.onAttributeUpdate({ device: 'd', data })
    expect(report.requests).toHaveLength(12)
    expect(report.requests.every((r) => r.ok)).toBe(true)
    expect(peak).toBe(3)
  })

  it('100 concurrent RPCs are each answered with their own id and their own data', async () => {
    const target = await startTarget((req, res) => {
      const id = new URL(req.url, 'http://x').searchParams.get('id')
      // answer out of order
      setTimeout(() => sendJson(res, 200, { id, body: JSON.parse(req.body) as unknown }), Number(id) % 7)
    })
    const rule = rpcRule({
      httpMethod: 'POST',
      requestUrlExpression: `${target.url}/rpc?id=\${requestId}`,
      valueExpression: '${params}',
      httpHeaders: { 'content-type': 'application/json' },
      responseTimeout: 10,
    })
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rule] })
    await Promise.all(Array.from({ length: 100 }, (_, id) => dispatcher.onRpc({ device: `dev-${id}`, data: { id, method: 'm', params: { n: id } } })))
    expect(replies).toHaveLength(100)
    for (const reply of replies) {
      expect(reply).toEqual({ device: `dev-${reply.id}`, id: reply.id, data: { result: { id: String(reply.id), body: { n: reply.id } } } })
    }
    expect(new Set(replies.map((r) => r.id)).size).toBe(100)
  })
})
