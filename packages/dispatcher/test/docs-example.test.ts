/** The docs' attributeUpdates / serverSideRpc examples (rest-connector-docs.md), the Flask server done as a Node server. */
import { readFile } from 'node:fs/promises'
import { validateConfig } from '@restgate/config'
import { describe, expect, it } from 'vitest'
import { createDispatcher } from '../src/index.ts'
import { attributeUpdateRule, dispatcherFor, recordingLogger, recordingPublisher, rpcRule, sendJson, startTarget } from './_helpers.ts'

/** test_flask_server.py: `@app.route('/', methods=['POST', 'GET'])` prints the data and answers "Success". */
function flaskServer() {
  const printed: string[] = []
  const ready = startTarget((req, res) => {
    if (req.url !== '/' || (req.method !== 'POST' && req.method !== 'GET')) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<p>Not Found</p>')
      return
    }
    printed.push(req.body)
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end('Success')
  })
  return { printed, ready }
}

describe('docs: attributeUpdates', () => {
  it('FirmwareVersion 1.1 on SN-001 reaches the test server as {"deviceName":"SN-001","FirmwareVersion":"1.1"}', async () => {
    const flask = flaskServer()
    const target = await flask.ready
    // the docs' rule verbatim, only the port is the test server's
    const rule = attributeUpdateRule({
      httpMethod: 'POST',
      sslVerify: false,
      httpHeaders: { 'CONTENT-TYPE': 'application/json' },
      security: { type: 'anonymous' },
      timeout: 0.5,
      tries: 3,
      allowRedirects: true,
      deviceNameFilter: 'SN.*',
      attributeFilter: '.*',
      requestUrlExpression: `${target.url}/`,
      valueExpression: '{"deviceName":"${deviceName}","${attributeKey}":"${attributeValue}"}',
    })
    const { dispatcher, replies } = dispatcherFor({ attributeUpdates: [rule] })
    await dispatcher.ready()
    const report = await dispatcher.onAttributeUpdate({ device: 'SN-001', data: { FirmwareVersion: 1.1 } })
    expect(flask.printed).toEqual(['{"deviceName":"SN-001","FirmwareVersion":"1.1"}'])
    expect(target.received[0]?.headers['content-type']).toBe('application/json')
    expect(report.requests).toEqual([
      expect.objectContaining({
        rule: 'attributeUpdates[0]',
        key: 'FirmwareVersion',
        ok: true,
        status: 200,
        attempts: 1,
        result: 'Success',
        method: 'POST',
        target: `${target.url}/`,
      }),
    ])
    expect(replies).toEqual([])
    expect(dispatcher.stats()).toMatchObject({ attributeUpdates: 1, requests: 1, succeeded: 1, failed: 0, inFlight: 0, waiting: 0 })
  })
})

describe('docs: serverSideRpc', () => {
  it('echo (with reply) and no-reply (relative URL: warned, nothing sent, nothing published)', async () => {
    const target = await startTarget((req, res) => sendJson(res, 200, { path: req.url }))
    const echo = rpcRule({
      deviceNameFilter: '.*',
      methodFilter: 'echo',
      requestUrlExpression: `${target.url}/\${deviceName}`,
      responseTimeout: 1,
      httpMethod: 'GET',
      valueExpression: '${params}',
      timeout: 0.5,
      tries: 3,
      httpHeaders: { 'Content-Type': 'application/json' },
    })
    const noReply = rpcRule(
      {
        deviceNameFilter: '.*',
        methodFilter: 'no-reply',
        requestUrlExpression: '/sensor/${deviceName}/request/${methodName}/${requestId}',
        httpMethod: 'POST',
        valueExpression: '${params}',
        httpHeaders: { 'Content-Type': 'application/json' },
      },
      1,
    )
    const { dispatcher, replies, logger } = dispatcherFor({ serverSideRpc: [echo, noReply] })
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 1, method: 'echo', params: { x: 1 } } })
    const silent = await dispatcher.onRpc({ device: 'SN-001', data: { id: 2, method: 'no-reply', params: { x: 1 } } })
    expect(replies).toEqual([{ device: 'SN-001', id: 1, data: { result: { path: '/SN-001' } } }])
    expect(silent).toMatchObject({ handled: true, replied: false, requests: [{ ok: false, failure: { kind: 'build' } }] })
    expect(target.received.map((r) => r.url)).toEqual(['/SN-001'])
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'serverSideRpc[1]: RPC "no-reply" id 2 for "SN-001": request not sent: serverSideRpc[1]: requestUrlExpression "/sensor/${deviceName}/request/${methodName}/${requestId}" has no scheme and host',
    ])
  })

  it('post_attributes: the RPC posts a JSON built from params to /my_devices and replies with its answer', async () => {
    // stands in for the gateway's own /my_devices endpoint
    const myDevices = await startTarget((req, res) => {
      const body = JSON.parse(req.body) as Record<string, unknown>
      sendJson(res, 200, { accepted: body.sensorName })
    })
    const rule = rpcRule({
      deviceNameFilter: 'SN.*',
      methodFilter: 'post_attributes',
      requestUrlExpression: `${myDevices.url}/my_devices`,
      responseTimeout: 1,
      httpMethod: 'POST',
      valueExpression:
        '{"sensorName":"${deviceName}", "sensorModel":"${params.sensorModel}", "certificateNumber":"${params.certificateNumber}", "temp":"${params.temp}", "hum":"${params.hum}"}',
      timeout: 10.0,
      tries: 3,
      httpHeaders: { 'Content-Type': 'application/json' },
    })
    const { dispatcher, replies } = dispatcherFor({ serverSideRpc: [rule] })
    const params = { sensorModel: 'T3000', certificateNumber: '11112233445', hum: 12, temp: 23, sensorName: 'SN-001' }
    await dispatcher.onRpc({ device: 'SN-001', data: { id: 5, method: 'post_attributes', params } })
    expect(JSON.parse(myDevices.received[0]?.body ?? '')).toEqual({
      sensorName: 'SN-001',
      sensorModel: 'T3000',
      certificateNumber: '11112233445',
      temp: '23',
      hum: '12',
    })
    expect(replies).toEqual([{ device: 'SN-001', id: 5, data: { result: { accepted: 'SN-001' } } }])
  })
})

describe('docs: the example rest.json, loaded by @restgate/config', () => {
  it('runs unchanged (only the target port differs): attribute update, echo with reply, relative no-reply', async () => {
    const target = await startTarget((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end('Success')
      } else sendJson(res, 200, { path: req.url })
    })
    const text = await readFile(new URL('../../../examples/quickstart/rest.json', import.meta.url), 'utf8')
    const validated = validateConfig(JSON.parse(text.replaceAll('127.0.0.1:5001', `127.0.0.1:${target.port}`)), { configDir: process.cwd() })
    if (!validated.ok) throw new Error(JSON.stringify(validated.issues))
    const publisher = recordingPublisher()
    const dispatcher = createDispatcher({ config: validated.config, publisher, logger: recordingLogger() })
    try {
      await dispatcher.ready()
      await dispatcher.onAttributeUpdate({ device: 'SN-001', data: { FirmwareVersion: 1.1, mode: 'eco' } })
      await dispatcher.onRpc({ device: 'SN-001', data: { id: 7, method: 'echo', params: { x: 1 } } })
      await dispatcher.onRpc({ device: 'SN-001', data: { id: 8, method: 'no-reply', params: { x: 1 } } })
    } finally {
      await dispatcher.close()
    }
    expect(target.received.map((r) => [r.method, r.url, r.body]).toSorted()).toEqual([
      ['GET', '/SN-001', '{"x":1}'],
      ['POST', '/', '{"deviceName":"SN-001","FirmwareVersion":"1.1"}'],
      ['POST', '/', '{"deviceName":"SN-001","mode":"eco"}'],
    ])
    expect(publisher.replies).toEqual([{ device: 'SN-001', id: 7, data: { result: { path: '/SN-001' } } }])
  })
})
