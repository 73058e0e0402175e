/** The observation hooks: `onResponse` per answer, datapoint counters in `stats()`. */
import { afterEach, expect, test } from 'vitest'
import { createIngestServer, type IngestServer } from '../src/index.ts'
import { mapping, recordingSink, restConfig } from './helpers.ts'

const open: IngestServer[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})

test('onResponse gets the configured endpoint and status of every answer; stats count datapoints accepted and dropped', async () => {
  const seen: Array<[string, number]> = []
  const m = mapping({
    endpoint: '/d/{id}',
    deviceName: '${id}',
    timeseries: [
      { key: 'v', value: '${v}', type: 'int' },
      { key: 'w', value: '${w}', type: 'int' },
    ],
  })
  const server = createIngestServer({
    config: restConfig({ mapping: [m] }),
    sink: recordingSink(),
    onResponse: (endpoint, status) => seen.push([endpoint, status]),
  })
  open.push(server)
  const { url } = await server.listen()
  expect((await fetch(`${url}/d/A`, { method: 'POST', body: '{"v":1,"w":2}' })).status).toBe(200)
  expect((await fetch(`${url}/d/B`, { method: 'POST', body: '{"v":1}' })).status).toBe(200)
  expect((await fetch(`${url}/d/C`, { method: 'DELETE' })).status).toBe(405)
  expect((await fetch(`${url}/nowhere`, { method: 'POST', body: '{}' })).status).toBe(404)
  expect(seen).toEqual([
    ['/d/{id}', 200],
    ['/d/{id}', 200],
    ['/d/{id}', 405],
    ['', 404],
  ])
  expect(server.stats()).toMatchObject({ requests: 4, records: 2, datapoints: 3, droppedDatapoints: 1 })
})
