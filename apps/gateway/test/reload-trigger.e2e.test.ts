/**
 * The CLI's reload trigger in-process, on a real gateway and real files: triggers that arrive while
 * a reload runs are coalesced into one more reload that reads the latest files, and a failed
 * reload does not stop the next one.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadGatewayFiles } from '../src/load-config.ts'
import { createConsoleLogger } from '../src/logger.ts'
import { startReloadTriggers } from '../src/reload-trigger.ts'
import { freePort, startGateway, startSandbox, writeConfigFolder } from './_harness.ts'

const route = (endpoint: string) => ({
  endpoint,
  HTTPMethods: ['POST'],
  converter: { type: 'json', deviceNameExpression: '${name}', deviceTypeExpression: 'sensor', timeseries: [{ type: 'int', key: 'n', value: '${n}' }] },
})

const status = (url: string): Promise<number> => fetch(url, { method: 'POST', body: '{"name":"D","n":1}' }).then(async (r) => (await r.arrayBuffer(), r.status))

describe('reload trigger', { timeout: 60_000 }, () => {
  it('coalesces triggers that arrive during a reload into one more, which reads the latest files', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const port = await freePort()
    const rest = (endpoint: string) => ({ server: { host: '127.0.0.1', port }, mapping: [route(endpoint)] })
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': rest('/a') } })
    onTestFinished(folder.cleanup)
    const gw = await startGateway(folder.file)
    onTestFinished(gw.stop)
    const loaded = await loadGatewayFiles(folder.file)
    if (!loaded.ok) throw new Error('invalid test config')
    const lines: string[] = []
    const trigger = startReloadTriggers({
      file: folder.file,
      gateway: gw.gateway,
      loaded: loaded.value,
      logger: createConsoleLogger({ write: (l) => lines.push(l) }),
    })
    onTestFinished(() => trigger.close())

    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify(rest('/b')))
    const first = trigger.reload('one')
    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify(rest('/c')))
    const second = trigger.reload('two')
    const third = trigger.reload('three')
    await Promise.all([first, second, third])
    const reads = lines.filter((l) => l.includes(': reading '))
    expect(reads).toHaveLength(2)
    expect(reads[0]).toContain('reload (one)')
    expect(reads[1]).toContain('reload (three)')
    expect(await status(`http://127.0.0.1:${port}/c`)).toBe(200)
    expect(await status(`http://127.0.0.1:${port}/a`)).toBe(404)

    // a broken file, then a fixed one: the failure is logged, the next reload applies
    writeFileSync(join(folder.dir, 'rest.json'), '{"server": {"port": ')
    await trigger.reload('broken')
    expect(lines.some((l) => l.includes('reload (broken) refused: the new config has 1 error(s); the running config keeps serving'))).toBe(true)
    expect(await status(`http://127.0.0.1:${port}/c`)).toBe(200)
    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify(rest('/d')))
    await trigger.reload('fixed')
    expect(lines.some((l) => l.includes('reload (fixed): applied 1 change(s)'))).toBe(true)
    expect(await status(`http://127.0.0.1:${port}/d`)).toBe(200)
  })
})
