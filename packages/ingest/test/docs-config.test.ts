/**
 * The docs' rest.json (old format, verbatim from examples/quickstart) through the real config
 * validator, served on an ephemeral port: the docs' curl and the /anon1 request work unchanged.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { validateConfig } from '@restgate/config'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createIngestServer, type IngestServer } from '../src/index.ts'
import { basic, configDirWithConverters, type RecordingSink, recordingSink } from './helpers.ts'

const DOCS_CONFIG = fileURLToPath(new URL('../../../examples/quickstart/rest.json', import.meta.url))

let server: IngestServer
let url: string
let sink: RecordingSink
let cleanup: () => Promise<void>

beforeAll(async () => {
  const dir = await configDirWithConverters()
  cleanup = dir.cleanup
  const json = JSON.parse(await readFile(DOCS_CONFIG, 'utf8')) as Record<string, unknown>
  const result = validateConfig({ ...json, port: 0 }, { configDir: dir.dir, name: 'REST Connector' })
  if (!result.ok) throw new Error(`the docs config does not validate: ${JSON.stringify(result.issues)}`)
  sink = recordingSink()
  server = createIngestServer({ config: result.config, sink })
  ;({ url } = await server.listen())
})

afterAll(async () => {
  await server?.close()
  await cleanup?.()
})

test("the docs' curl (with -u user:password)", async () => {
  const res = await fetch(`${url}/my_devices`, {
    method: 'POST',
    headers: { authorization: basic('user', 'password'), 'content-type': 'application/x-www-form-urlencoded' },
    body: '{"sensorName": "SN-001", "sensorType": "Thermometer", "sensorModel": "T1000", "certificateNumber": "125sda47gsh", "temp": 32, "hum": 67}',
  })
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ status: 'ok', devices: 1, attributes: 2, telemetry: 2, dropped: [] })
  expect(sink.records()).toEqual([
    {
      deviceName: 'SN-001',
      deviceType: 'Thermometer',
      attributes: { model: 'T1000', T1000: 'on' },
      telemetry: [{ ts: expect.any(Number), values: { temperature: 32, humidity: 67 } }],
    },
  ])
})

test("the docs' curl without credentials is a 401", async () => {
  const res = await fetch(`${url}/my_devices`, { method: 'POST', body: '{"sensorName":"SN-001"}' })
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toMatch(/^Basic/)
})

test('GET /anon1?temp=20.5&hum=30 with the CustomConverter extension', async () => {
  const res = await fetch(`${url}/anon1?temp=20.5&hum=30`)
  expect(res.status).toBe(200)
  expect(sink.records().at(-1)).toMatchObject({
    deviceName: 'Device 2',
    attributes: { model: 'Model2' },
    telemetry: [{ values: { temperature: 20.5, humidity: 30 } }],
  })
})
