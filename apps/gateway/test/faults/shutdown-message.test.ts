/**
 * Honest shutdown: the stop line says what stopping will do with the records not yet delivered,
 * BEFORE the gateway does it. Real CLI process, real SIGTERM:
 * - ThingsBoard unreachable (a port nobody listens on), memory storage: the records will be lost;
 * - unreachable, file storage: they stay stored, and a next start with ThingsBoard up delivers them;
 * - connected to a broker that accepts the session but never acknowledges a publish: the gateway
 *   says it flushes N records for up to the flush timeout (5 s, here `--flush-timeout 0.5`), then
 *   reports what it could not deliver.
 */
import { createServer, type Socket } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { freePort } from '../_harness.ts'
import { configFolder, gatewayProcess, sandbox } from './_faults.ts'
import { post, waitForArrivals } from './_traffic.ts'

/** Index of the first line matching `re` in the output, -1 when none. */
function lineIndex(output: string, re: RegExp): number {
  return output.split('\n').findIndex((l) => re.test(l))
}

async function postAll(url: string, prefix: string, count: number): Promise<void> {
  for (let n = 0; n < count; n++) expect((await post(url, `${prefix}-${n}`, n)).status, `#${n}`).toBe(200)
}

/**
 * An MQTT 3.1.1 server that accepts every CONNECT and SUBSCRIBE and answers pings, but never
 * acknowledges a PUBLISH: whatever the gateway sends stays in flight.
 */
async function silentBroker(): Promise<{ port: number; publishes: () => number }> {
  let publishes = 0
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      for (;;) {
        // fixed header: type byte, then the remaining length as a variable byte integer
        let len = 0
        let mul = 1
        let i = 1
        for (; i < buf.length && i <= 4; i++) {
          len += (buf[i]! & 0x7f) * mul
          mul *= 128
          if ((buf[i]! & 0x80) === 0) break
        }
        if (i >= buf.length || buf.length < i + 1 + len) return
        const type = buf[0]! >> 4
        const body = buf.subarray(i + 1, i + 1 + len)
        buf = buf.subarray(i + 1 + len)
        if (type === 1) socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00])) // CONNACK accepted
        else if (type === 8) {
          // SUBACK: the packet id, then QoS 1 granted for each topic filter
          const topics: number[] = []
          for (let p = 2; p + 2 <= body.length;) {
            p += 2 + body.readUInt16BE(p) + 1
            topics.push(1)
          }
          socket.write(Buffer.from([0x90, 2 + topics.length, body[0]!, body[1]!, ...topics]))
        } else if (type === 12) socket.write(Buffer.from([0xd0, 0x00])) // PINGRESP
        else if (type === 3) publishes++
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return { port: (server.address() as { port: number }).port, publishes: () => publishes }
}

describe('the stop message says what stopping will do, before doing it', { timeout: 120_000 }, () => {
  it('ThingsBoard not connected, memory storage: says the records will be lost, then loses exactly them', async () => {
    const folder = await configFolder(await freePort(), { type: 'memory', max_records_count: 1_000 })
    const gw = await gatewayProcess(folder)
    await postAll(folder.url, 'SM', 3)

    expect(await gw.terminate()).toBe(0)
    const out = gw.output()
    const said = lineIndex(out, /WARN SIGTERM: stopping; ThingsBoard is not connected, so 3 records in memory storage will be lost$/)
    const lost = lineIndex(out, /stop: 3 record\(s\) not delivered to ThingsBoard are lost \(memory storage\)/)
    expect(said, out).toBeGreaterThanOrEqual(0)
    expect(lost, out).toBeGreaterThan(said)
    expect(lineIndex(out, /INFO stopped$/)).toBeGreaterThan(lost)
    expect(out).not.toMatch(/flush/i)
  })

  it('ThingsBoard not connected, file storage: says the records stay stored; the next start delivers them', async () => {
    const brokerPort = await freePort()
    const folder = await configFolder(brokerPort, { type: 'file', data_folder_path: './data', max_records_per_file: 100, max_file_count: 10 })
    const first = await gatewayProcess(folder)
    await postAll(folder.url, 'SF', 4)

    expect(await first.terminate()).toBe(0)
    const out = first.output()
    const said = lineIndex(out, /INFO SIGTERM: stopping; ThingsBoard is not connected, so 4 records stay in file storage for the next start$/)
    const kept = lineIndex(out, /stop: 4 record\(s\) not delivered to ThingsBoard stay in file storage for the next start/)
    expect(said, out).toBeGreaterThanOrEqual(0)
    expect(kept, out).toBeGreaterThan(said)
    expect(out).not.toMatch(/flush|lost/i)

    // the promise holds: ThingsBoard up on that port, the next start sends the 4 records
    const sb = await sandbox({ port: brokerPort })
    const second = await gatewayProcess(folder)
    const got = await waitForArrivals(sb, 'SF', new Set([0, 1, 2, 3]), 15_000, second.output)
    expect(got.size).toBe(4)
    expect(await second.terminate()).toBe(0)
    // connected now: the stop flushes (the last acks may still be on their way) and nothing is left
    expect(second.output()).toMatch(/INFO SIGTERM: stopping; (the outbox is empty|flushing up to [1-4] records? to ThingsBoard for up to 5 s, .*)$/m)
    expect(second.output()).not.toMatch(/not delivered|not drained/)
  })

  it('connected, nothing acknowledged: says it flushes N records for up to the flush timeout, then reports what is left', async () => {
    const broker = await silentBroker()
    const folder = await configFolder(broker.port, { type: 'memory', max_records_count: 1_000 })
    // the default flush timeout (5 s) is the stop message unit test's; a short one keeps this test short
    const gw = await gatewayProcess(folder, ['--flush-timeout', '0.5'])
    await gw.cli.waitForOutput(/connected to ThingsBoard/, 15_000)
    await postAll(folder.url, 'SC', 2)

    expect(await gw.terminate()).toBe(0)
    const out = gw.output()
    const said = lineIndex(
      out,
      /INFO SIGTERM: stopping; flushing up to 2 records to ThingsBoard for up to 0\.5 s, what is left then is lost \(memory storage\)$/,
    )
    const timedOut = lineIndex(out, /stop: outbox not drained within 500 ms/)
    const lost = lineIndex(out, /stop: 2 record\(s\) not delivered to ThingsBoard are lost \(memory storage\)/)
    expect(said, out).toBeGreaterThanOrEqual(0)
    expect(timedOut, out).toBeGreaterThan(said)
    expect(lost, out).toBeGreaterThan(timedOut)
    expect(broker.publishes()).toBeGreaterThan(0)
  })
})
