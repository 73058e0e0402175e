import { H3, HTTPResponse } from 'h3'
import { expect, test } from 'vitest'
import { registerRoutes, routePattern } from './_router.ts'
import { IngestRuntime } from './_runtime.ts'
import { IngestError } from './errors.ts'
import { defaultLogger } from './logger.ts'

async function answerOk(): Promise<HTTPResponse> {
  return new HTTPResponse('ok', { status: 200 })
}

async function handle(): Promise<never> {
  throw new Error('not called')
}

test('aiohttp and h3 path syntax', () => {
  expect(routePattern('/dev/{name}')).toBe('/dev/:name')
  expect(routePattern('/dev/:name')).toBe('/dev/:name')
  expect(routePattern('/a/{x}/b/{ y }')).toBe('/a/:x/b/:y')
  expect(routePattern('/dev/{name:[a-z]+}')).toBe('/dev/:name')
  expect(routePattern('my_devices')).toBe('/my_devices')
})

test('the same endpoint and method twice is refused, naming both config paths', () => {
  const rt = new IngestRuntime({ accept: async () => {} }, defaultLogger, 'x', 5)
  const entries = [
    { endpoint: '/dev/{name}', methods: ['POST'], handle, path: 'mapping[0]' },
    { endpoint: '/dev/:id', methods: ['GET', 'POST'], handle, path: 'mapping[3]' },
  ]
  let caught: unknown
  try {
    registerRoutes(new H3(), entries, rt)
  } catch (error) {
    caught = error
  }
  expect(IngestError.is(caught)).toBe(true)
  expect((caught as IngestError).code).toBe('CONFIG_INVALID')
  expect((caught as IngestError).message).toContain('mapping[3]')
  expect((caught as IngestError).message).toContain('mapping[0]')
})

test('404 and 405 with Allow, whatever the number of routes', async () => {
  const rt = new IngestRuntime({ accept: async () => {} }, defaultLogger, 'x', 5)
  const app = new H3()
  const entries = Array.from({ length: 500 }, (_, i) => ({ endpoint: `/e${i}/{id}`, methods: ['POST', 'PUT'], handle: answerOk, path: `mapping[${i}]` }))
  registerRoutes(app, entries, rt)
  expect((await app.request('/e499/x', { method: 'POST' })).status).toBe(200)
  const wrong = await app.request('/e250/x', { method: 'GET' })
  expect(wrong.status).toBe(405)
  expect(wrong.headers.get('allow')).toBe('POST, PUT')
  const missing = await app.request('/nothing/here', { method: 'POST' })
  expect(missing.status).toBe(404)
  expect(await missing.json()).toMatchObject({ error: 'Not Found', code: 'NOT_FOUND' })
  expect(rt.byStatus).toEqual({ 405: 1, 404: 1 })
})
