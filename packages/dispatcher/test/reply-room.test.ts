/** Issue 10 (flood memory): an RPC's room is freed when its outcome is known, not when its reply is confirmed. */
import { describe, expect, it } from 'vitest'
import { createDispatcher } from '../src/index.ts'
import { connectorConfig, recordingLogger, rpcRule, sendJson, startTarget } from './_helpers.ts'

describe('room and replies', () => {
  it('frees an RPC’s room before its reply is confirmed: the next RPC runs while the first reply waits for its PUBACK', async () => {
    const target = await startTarget((_req, res) => sendJson(res, 200, { ok: true }))
    const confirm: Array<() => void> = []
    const published: Array<number | string> = []
    const dispatcher = createDispatcher({
      config: connectorConfig({ serverSideRpc: [rpcRule({ requestUrlExpression: `${target.url}/\${requestId}`, responseTimeout: 30 })] }),
      // a broker that has not confirmed anything yet: every reply waits
      publisher: {
        replyRpc: (_device, id) => {
          published.push(id)
          return new Promise<void>((resolve) => confirm.push(resolve))
        },
      },
      logger: recordingLogger(),
      maxActiveMessages: 1,
      maxQueuedMessages: 10,
      closeGraceMs: 100,
    })
    const admitted: number[] = []
    const calls = [1, 2, 3].map((id) => dispatcher.onRpc({ device: 'd', data: { id, method: 'm' } }, { onAdmitted: () => admitted.push(id) }))
    // one active message at a time, yet all three reach the target and publish their reply while
    // none of the replies is confirmed
    await expect.poll(() => published.length, { timeout: 10_000 }).toBe(3)
    expect(target.received.map((r) => r.url)).toEqual(['/1', '/2', '/3'])
    expect(admitted).toEqual([1, 2, 3])
    expect(dispatcher.stats()).toMatchObject({ activeMessages: 0, queuedMessages: 0, dropped: 0, replies: 0 })
    // the reports still say replied only once the replies are confirmed
    for (const c of confirm) c()
    const reports = await Promise.all(calls)
    expect(reports.every((r) => r.replied)).toBe(true)
    expect(dispatcher.stats().replies).toBe(3)
    await dispatcher.close()
  })
})
