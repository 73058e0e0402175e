import { describe, expect, it } from 'vitest'
import { dispatcherFor, rpcRule } from './_helpers.ts'

const rpc = (device: string, method: unknown): { device: string; data: { id: number; method: string; params: object } } => ({
  device,
  data: { id: 1, method: method as string, params: {} },
})

describe('matchesRpc (routing between connectors)', () => {
  it('is true for a matching rule or a reserved method, false otherwise, and sends nothing', () => {
    const { dispatcher, replies } = dispatcherFor({
      serverSideRpc: [rpcRule({ deviceNameFilter: 'SN.*', methodFilter: 'echo|ping', requestUrlExpression: 'http://127.0.0.1:9/' })],
    })
    expect(dispatcher.matchesRpc(rpc('SN-1', 'echo'))).toBe(true)
    expect(dispatcher.matchesRpc(rpc('SN-1', 'ping'))).toBe(true)
    expect(dispatcher.matchesRpc(rpc('SN-1', 'echo2'))).toBe(false) // full match, not a prefix
    expect(dispatcher.matchesRpc(rpc('XX-1', 'echo'))).toBe(false)
    expect(dispatcher.matchesRpc(rpc('XX-1', 'get'))).toBe(true)
    expect(dispatcher.matchesRpc(rpc('XX-1', 'set'))).toBe(true)
    expect(dispatcher.matchesRpc(rpc('SN-1', 42))).toBe(false)
    expect(replies).toEqual([])
  })
})
