/** tries, backoff, Retry-After, per-try timeout and the responseTimeout deadline, against real targets. */
import { describe, expect, it } from 'vitest'
import { attributeUpdateRule, dispatcherFor, refusedPort, rpcRule, sendJson, sendText, startTarget } from './_helpers.ts'

/** A target that answers `failures` times with `status` (and `headers`), then 200 `{ ok: n }`. */
async function flaky(failures: number, status: number, headers: Record<string, string> = {}) {
  let seen = 0
  return startTarget((_req, res) => {
    seen++
    if (seen <= failures) return sendText(res, status, `failure ${seen}`, headers)
    sendJson(res, 200, { ok: seen })
  })
}

describe('retries', () => {
  it('a target that fails twice (503) then succeeds: 3 tries, one success reply', async () => {
    const target = await flaky(2, 503)
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, tries: 3, responseTimeout: 5 })] })
    const report = await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    expect(target.received).toHaveLength(3)
    expect(report.requests[0]).toMatchObject({ ok: true, attempts: 3, status: 200 })
    expect(replies).toEqual([{ device: 'd', id: 1, data: { result: { ok: 3 } } }])
    expect(dispatcher.stats()).toMatchObject({ retries: 2, succeeded: 1, failed: 0, replies: 1 })
  })

  it('attribute updates retry too (500, 408 and 429 are retried)', async () => {
    for (const status of [500, 408, 429]) {
      const target = await flaky(1, status)
      const { dispatcher } = dispatcherFor({ attributeUpdates: [attributeUpdateRule({ requestUrlExpression: `${target.url}/`, tries: 2 })] })
      const report = await dispatcher.onAttributeUpdate({ device: 'd', data: { k: 1 } })
      expect(report.requests[0]).toMatchObject({ ok: true, attempts: 2 })
    }
  })

  it('no retry on 404 (or any other 4xx)', async () => {
    for (const status of [400, 401, 404, 409, 422]) {
      const target = await flaky(5, status)
      const { dispatcher } = dispatcherFor({ attributeUpdates: [attributeUpdateRule({ requestUrlExpression: `${target.url}/`, tries: 5 })] })
      const report = await dispatcher.onAttributeUpdate({ device: 'd', data: { k: 1 } })
      expect(report.requests[0]).toMatchObject({ ok: false, attempts: 1, status, failure: { kind: 'http', code: status } })
      expect(target.received).toHaveLength(1)
    }
  })

  it('gives up after `tries` with the last failure', async () => {
    const target = await flaky(10, 502)
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, tries: 3, responseTimeout: 5 })] })
    await dispatcher.onRpc({ device: 'd', data: { id: 9, method: 'm' } })
    expect(target.received).toHaveLength(3)
    expect(replies).toEqual([{ device: 'd', id: 9, data: { error: 'Bad Gateway: failure 3', code: 502 } }])
  })

  it('Retry-After is honoured up to the cap (a huge value does not stall the retry)', async () => {
    const target = await flaky(1, 429, { 'retry-after': '3600' })
    const { dispatcher } = dispatcherFor(
      { serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, tries: 2, responseTimeout: 10 })] },
      { retryCapMs: 50 },
    )
    const report = await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    expect(report.requests[0]).toMatchObject({ ok: true, attempts: 2 })
  })

  it('network errors are retried: connection refused 3 times → 502 after 3 tries', async () => {
    const port = await refusedPort()
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [rpcRule({ requestUrlExpression: `http://127.0.0.1:${port}/x`, tries: 3, responseTimeout: 5 })],
    })
    const report = await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    expect(report.requests[0]).toMatchObject({ attempts: 3, failure: { kind: 'network' } })
    expect(replies).toEqual([{ device: 'd', id: 1, data: { error: `connection refused to 127.0.0.1:${port}`, code: 502 } }])
  })

  it('a per-try timeout is retried: a target that hangs once then answers', async () => {
    let seen = 0
    const target = await startTarget((_req, res) => {
      seen++
      if (seen > 1) sendJson(res, 200, { try: seen })
    })
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, timeout: 0.2, tries: 2, responseTimeout: 5 })],
    })
    await dispatcher.onRpc({ device: 'd', data: { id: 1, method: 'm' } })
    expect(replies).toEqual([{ device: 'd', id: 1, data: { result: { try: 2 } } }])
  })
})

describe('responseTimeout: the overall deadline for all tries', () => {
  it('ends the RPC with "timeout after Xs" even when a try could last longer', async () => {
    const target = await startTarget(() => undefined) // never answers
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, timeout: 30, tries: 5, responseTimeout: 0.3 })],
    })
    const report = await dispatcher.onRpc({ device: 'd', data: { id: 4, method: 'm' } })
    expect(replies).toEqual([{ device: 'd', id: 4, data: { error: 'timeout after 0.3s', code: 408 } }])
    expect(report.requests[0]).toMatchObject({ attempts: 1, failure: { kind: 'timeout' } })
    expect(target.received).toHaveLength(1)
  })

  it('stops retrying when the next backoff would pass the deadline and reports the last failure', async () => {
    const target = await flaky(100, 503, { 'retry-after': '60' })
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, tries: 5, responseTimeout: 0.5 })] })
    const report = await dispatcher.onRpc({ device: 'd', data: { id: 5, method: 'm' } })
    expect(report.requests[0]?.attempts).toBe(1)
    expect(replies).toEqual([{ device: 'd', id: 5, data: { error: 'Service Unavailable: failure 1', code: 503 } }])
  })

  it('without responseTimeout the RPC is one-way: executed with its tries, result logged, nothing published', async () => {
    const target = await flaky(1, 500)
    const { dispatcher, replies, logger } = dispatcherFor({ serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/`, tries: 2 })] })
    const report = await dispatcher.onRpc({ device: 'd', data: { id: 6, method: 'm' } })
    expect(report).toMatchObject({ handled: true, replied: false, requests: [{ ok: true, attempts: 2 }] })
    expect(replies).toEqual([])
    expect(logger.lines.some((l) => l.level === 'info' && l.msg.includes('→ 200 (2 tries)'))).toBe(true)
  })
})
