/**
 * Fault: ThingsBoard refuses the gateway's connection (CONNACK 5, not authorized: the access token
 * is not accepted). The gateway is the real CLI process. Checked: the log says clearly what was
 * refused (and never shows the token); the gateway retries with a growing backoff (the attempts
 * are as far apart as the log says they wait, and the broker counts each: not a busy loop); HTTP
 * requests are still answered 200 while the outbox has room; once ThingsBoard accepts the token,
 * every one of them arrives, each device `connect`ed first.
 */
import { describe, expect, it } from 'vitest'
import { TOKEN } from '../_harness.ts'
import { configFolder, gatewayProcess, sandbox } from './_faults.ts'
import { isIncreasing, post, report, sleep, waitForArrivals } from './_traffic.ts'

/** Refused attempts observed before ThingsBoard accepts the token: two logged waits show the backoff grow. */
const ATTEMPTS = 2

describe('ThingsBoard refuses the connection (bad token)', { timeout: 120_000 }, () => {
  it('logs the refusal without the token, backs off, keeps answering 200, delivers once the token is accepted', async () => {
    const refusing = await sandbox({ accessToken: 'some-other-token' })
    const port = refusing.port
    const prefix = 'BT'
    const folder = await configFolder(port, { type: 'memory', max_records_count: 10_000 })
    const gw = await gatewayProcess(folder)
    const started = Date.now()

    // the broker refused ATTEMPTS connections, and the gateway logged them
    const refusals = /^.*cannot connect to ThingsBoard .*$/gm
    const observed = Promise.all([
      refusing.waitFor((st) => st.refusedConnections >= ATTEMPTS, 30_000),
      gw.cli.waitForOutput(new RegExp(`(cannot connect to ThingsBoard [^\\n]*\\n[\\s\\S]*){${ATTEMPTS}}`), 30_000),
    ])
    const observation = { done: false }
    void observed.then(
      () => (observation.done = true),
      () => (observation.done = true),
    )
    // requests meanwhile are stored and answered although nothing can be sent
    const ok: number[] = []
    let n = 0
    do {
      const r = await post(folder.url, `${prefix}-${n % 3}`, n)
      expect(r.status, `#${n}`).toBe(200)
      ok.push(n++)
      await sleep(50)
    } while (!observation.done)
    await observed
    const attempts = refusing.state.refusedConnections
    const output = gw.output()
    await refusing.stop()

    // a clear line per attempt, naming the refusal and what to check; the token never appears
    const lines = output.match(refusals) ?? []
    expect(lines.length).toBeGreaterThanOrEqual(ATTEMPTS)
    for (const l of lines) {
      expect(l).toMatch(
        new RegExp(
          `cannot connect to ThingsBoard 127\\.0\\.0\\.1:${port} \\(attempt \\d+\\): ThingsBoard refused the connection: Not authorized \\[CONNACK 5\\]`,
        ),
      )
      expect(l).toContain('check the access token')
    }
    expect(output).not.toContain(TOKEN)
    // every attempt the broker refused is logged (at most the newest one not yet)
    expect(attempts - lines.length).toBeGreaterThanOrEqual(0)
    expect(attempts - lines.length).toBeLessThanOrEqual(1)
    // backoff: each logged wait at least as long as the one before, and the attempts really wait
    // (not a busy loop): by the gateway's own log times, the next attempt's line comes no sooner
    // than the wait the previous line announced (a timer never fires early; a loaded machine only
    // makes the gap longer)
    const waits = lines.map((l) => Number(/retrying in (\d+) ms/.exec(l)?.[1]))
    expect(
      waits.every((w, i) => i === 0 || w >= waits[i - 1]!),
      `waits ${waits.join(', ')}`,
    ).toBe(true)
    expect(waits.at(-1)!).toBeGreaterThan(waits[0]!)
    const loggedAt = lines.map((l) => Date.parse(l.split(' ')[0]!))
    for (let i = 1; i < lines.length; i++) {
      const gap = loggedAt[i]! - loggedAt[i - 1]!
      expect(gap, `attempt ${i + 1} was logged ${gap} ms after attempt ${i}, which announced a wait of ${waits[i - 1]} ms`).toBeGreaterThanOrEqual(
        waits[i - 1]! - 2,
      )
    }

    // ThingsBoard now accepts the token (same port): the next attempt connects and delivers everything
    const accepting = await sandbox({ port, accessToken: TOKEN })
    const got = await waitForArrivals(accepting, prefix, ok, 15_000, gw.output)
    expect(got.size).toBe(ok.length)
    for (const d of accepting.state.devices.values()) {
      expect(d.dataBeforeConnect, d.name).toBe(0)
      expect(d.autoCreated, d.name).toBe(false)
    }
    for (let k = 0; k < 3; k++) {
      const device = accepting.state.devices.get(`${prefix}-${k}`)!
      expect(isIncreasing(device.telemetry.map((t) => Number(t.values.n)))).toBe(true)
    }
    report('refused connection', {
      refusedAttempts: attempts,
      loggedWaitsMs: waits,
      answered200WhileRefused: ok.length,
      delivered: got.size,
      deliveredAfterMs: Date.now() - started,
    })
    expect(await gw.terminate()).toBe(0)
  })
})
