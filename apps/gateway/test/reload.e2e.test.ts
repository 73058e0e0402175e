/**
 * Hot reload through the real CLI process: SIGHUP with a changed mapping under a steady stream of
 * requests (none fails, every record reaches the sandbox), SIGHUP with an invalid config (refused
 * with `restgate validate`'s messages, the old config keeps serving), and `--watch` with an editor
 * that saves by rename (new connector started, restart-only changes reported).
 */
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi, onTestFinished } from 'vitest'
import { freePort, runCli, startSandbox, writeConfigFolder, type CliProcess } from './_harness.ts'

const route = (endpoint: string, key: string) => ({
  endpoint,
  HTTPMethods: ['POST'],
  converter: { type: 'json', deviceNameExpression: '${name}', deviceTypeExpression: 'sensor', timeseries: [{ type: 'int', key, value: '${n}' }] },
})

const connector = (port: number, mapping: unknown[]) => ({ server: { host: '127.0.0.1', port }, mapping })

/** Writes the file as editors do: a new file renamed over the old one. */
function saveByRename(file: string, content: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(content, null, 2))
  renameSync(`${file}.tmp`, file)
}

const post = (url: string, body: unknown): Promise<number> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => {
    await r.arrayBuffer()
    return r.status
  })

async function startCli(args: string[]): Promise<CliProcess> {
  const cli = runCli(args)
  onTestFinished(async () => {
    if (cli.child.exitCode === null) {
      cli.child.kill('SIGTERM')
      await cli.exited
    }
  })
  await cli.waitForOutput(/reloads the config on SIGHUP/, 30_000)
  return cli
}

describe('reload through the CLI', { timeout: 90_000 }, () => {
  it('SIGHUP swaps the mapping under a steady stream: no request fails, no record is lost', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const port = await freePort()
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': connector(port, [route('/stable', 'a'), route('/old', 'o')]) } })
    onTestFinished(folder.cleanup)
    const cli = await startCli(['--config', folder.file])
    const base = `http://127.0.0.1:${port}`
    expect(await post(`${base}/old`, { name: 'O', n: 1 })).toBe(200)

    // 4 clients (keep-alive connections) post to /stable without pause until 40 answers after the reload
    let reloaded = false
    const statuses: number[] = []
    const sent = new Map<string, number[]>()
    const client = async (w: number): Promise<void> => {
      const name = `S-${w}`
      const mine: number[] = []
      sent.set(name, mine)
      let after = 0
      for (let n = 0; after < 40 && n < 5_000; n++) {
        if (reloaded) after++
        mine.push(n)
        statuses.push(await post(`${base}/stable`, { name, n }))
      }
    }
    const stream = Promise.all([0, 1, 2, 3].map(client))
    await vi.waitFor(() => expect(statuses.length).toBeGreaterThan(40), { timeout: 30_000, interval: 10 })
    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify(connector(port, [route('/stable', 'b'), route('/new', 'm')])))
    cli.child.kill('SIGHUP')
    await cli.waitForOutput(/reload \(SIGHUP\): applied 1 change\(s\)/, 30_000)
    reloaded = true
    await stream

    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(cli.output()).toMatch(/connector "REST Connector": uplink mapping updated \(2 endpoint\(s\)/)
    expect(await post(`${base}/new`, { name: 'N', n: 2 })).toBe(200)
    expect(await post(`${base}/old`, { name: 'O', n: 3 })).toBe(404)
    // every record reached ThingsBoard: each device has every n it sent, under the old key or the new one
    await sandbox.waitFor((s) => s.devices.get('N')?.telemetry.length)
    for (const [name, ns] of sent) {
      await sandbox.waitFor((s) => (s.devices.get(name)?.telemetry.length ?? 0) >= ns.length, 30_000)
      const telemetry = sandbox.state.devices.get(name)!.telemetry
      const seen = telemetry.map((t) => (t.values as Record<string, number>).a ?? (t.values as Record<string, number>).b ?? -1)
      expect(seen.toSorted((x, y) => x - y)).toEqual(ns)
      // the converter was swapped: the last records carry the new key
      expect(Object.keys(telemetry.at(-1)!.values)).toEqual(['b'])
    }
    expect(Object.keys(sandbox.state.devices.get('O')!.telemetry[0]!.values)).toEqual(['o'])
  })

  it('SIGHUP with an invalid config: refused with the messages of `restgate validate`, the old config keeps serving', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const port = await freePort()
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': connector(port, [route('/t', 'a')]) } })
    onTestFinished(folder.cleanup)
    const cli = await startCli(['--config', folder.file])
    const base = `http://127.0.0.1:${port}`

    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify(connector(port, [{ ...route('/u', 'a'), HTTPMethods: ['PSOT'] }, { endpoint: '/v' }])))
    const validate = runCli(['validate', '--config', folder.file])
    expect(await validate.exited).toBe(2)
    const problems = validate
      .output()
      .split('\n')
      .filter((l) => l.startsWith('  error:   '))
      .map((l) => l.slice('  error:   '.length))
    expect(problems.length).toBeGreaterThanOrEqual(2)
    cli.child.kill('SIGHUP')
    await cli.waitForOutput(new RegExp(`reload \\(SIGHUP\\) refused: the new config has ${problems.length} error\\(s\\); the running config keeps serving`))
    await vi.waitFor(() => {
      for (const p of problems) expect(cli.output()).toContain(p)
    })
    expect(cli.output()).toContain('got "PSOT"')
    expect(await post(`${base}/t`, { name: 'T', n: 1 })).toBe(200)
    expect(await post(`${base}/u`, { name: 'T', n: 2 })).toBe(404)

    // valid JSON config whose custom converter cannot be loaded: refused when building it, nothing changes
    writeFileSync(
      join(folder.dir, 'rest.json'),
      JSON.stringify(connector(port, [{ ...route('/u', 'a'), converter: { type: 'custom', extension: 'NoSuchConverter' } }])),
    )
    cli.child.kill('SIGHUP')
    await cli.waitForOutput(/reload \(SIGHUP\) refused: .*NoSuchConverter.*; the running config keeps serving/)
    expect(await post(`${base}/t`, { name: 'T', n: 3 })).toBe(200)
    expect(await post(`${base}/u`, { name: 'T', n: 4 })).toBe(404)
    await sandbox.waitFor((s) => s.devices.get('T')?.telemetry.length === 2)
    expect(cli.child.exitCode).toBe(null)
  })

  it('a SIGHUP while starting is held and reloads once the connectors listen (not the default: exit)', async () => {
    const [brokerPort, port] = [await freePort(), await freePort()]
    const folder = writeConfigFolder({ brokerPort, connectors: { 'rest.json': connector(port, [route('/t', 'a')]) } })
    onTestFinished(folder.cleanup)
    const cli = runCli(['--config', folder.file, '--sandbox', '--sandbox-http-port', '0'])
    onTestFinished(async () => {
      if (cli.child.exitCode === null) {
        cli.child.kill('SIGTERM')
        await cli.exited
      }
    })
    // the sandbox starts first: the gateway is not listening yet
    await cli.waitForOutput(/sandbox: ThingsBoard stand-in on/, 30_000)
    writeFileSync(join(folder.dir, 'rest.json'), JSON.stringify(connector(port, [route('/t', 'a'), route('/early', 'e')])))
    cli.child.kill('SIGHUP')
    await cli.waitForOutput(/reload \(SIGHUP\): applied 1 change\(s\)/, 30_000)
    expect(await post(`http://127.0.0.1:${port}/early`, { name: 'E', n: 1 })).toBe(200)
    expect(cli.child.exitCode).toBe(null)
  })

  it('--watch: a file saved by rename reloads; a new connector starts, restart-only changes are reported', async () => {
    const sandbox = await startSandbox()
    onTestFinished(() => sandbox.stop())
    const [port, port2] = [await freePort(), await freePort()]
    const folder = writeConfigFolder({ brokerPort: sandbox.port, connectors: { 'rest.json': connector(port, [route('/t', 'a')]) } })
    onTestFinished(folder.cleanup)
    const cli = await startCli(['--config', folder.file, '--watch'])
    expect(cli.output()).toMatch(/reloads the config on SIGHUP and when tb_gateway.json, rest.json change/)
    const base = `http://127.0.0.1:${port}`

    saveByRename(join(folder.dir, 'rest.json'), connector(port, [route('/t', 'a'), route('/w', 'w')]))
    await vi.waitFor(async () => expect(await post(`${base}/w`, { name: 'W', n: 1 })).toBe(200), { timeout: 30_000, interval: 50 })
    await cli.waitForOutput(/reload \(file changed\): applied 1 change\(s\)/)

    // a second connector in tb_gateway.json (its file written first) and a new ThingsBoard keep_alive
    writeFileSync(join(folder.dir, 'rest2.json'), JSON.stringify(connector(port2, [route('/two', 'x')])))
    const tb = JSON.parse((await import('node:fs')).readFileSync(folder.file, 'utf8')) as { thingsboard: Record<string, unknown>; connectors: unknown[] }
    tb.thingsboard.keep_alive = 30
    tb.connectors.push({ type: 'rest', name: 'Second', configuration: 'rest2.json' })
    saveByRename(folder.file, tb)
    await cli.waitForOutput(/reload: connector "Second" added/)
    await cli.waitForOutput(/reload: thingsboard.keep_alive changed: restart restgate to apply it/)
    expect(await post(`http://127.0.0.1:${port2}/two`, { name: 'X', n: 5 })).toBe(200)
    expect(await post(`${base}/t`, { name: 'T', n: 6 })).toBe(200)
    // the new connector's file is watched too
    saveByRename(join(folder.dir, 'rest2.json'), connector(port2, [route('/three', 'x')]))
    await vi.waitFor(async () => expect(await post(`http://127.0.0.1:${port2}/three`, { name: 'X', n: 7 })).toBe(200), { timeout: 30_000, interval: 50 })
    expect(await post(`http://127.0.0.1:${port2}/two`, { name: 'X', n: 8 })).toBe(404)
    await sandbox.waitFor((s) => s.devices.get('X')?.telemetry.length === 2)
    await sandbox.waitFor((s) => s.devices.get('W')?.telemetry.length === 1)

    // removed from tb_gateway.json: its server stops, the first keeps serving
    tb.connectors.pop()
    saveByRename(folder.file, tb)
    await cli.waitForOutput(/reload: connector "Second" removed/)
    await expect(post(`http://127.0.0.1:${port2}/three`, { name: 'X', n: 9 })).rejects.toThrow()
    expect(await post(`${base}/t`, { name: 'T', n: 10 })).toBe(200)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })
})
