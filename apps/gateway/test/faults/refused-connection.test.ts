/**
 * Fault: ThingsBoard refuses the gateway's connection (CONNACK 5, not authorized: the access token
 * is not accepted). The gateway is the real CLI process. Checked: the log says clearly what was
 * refused (and never shows the token); the gateway retries with a growing backoff (the broker sees
 * the attempts as far apart as the log says they wait: not a busy loop); HTTP requests are still
 * answered 200 while the outbox has room; once ThingsBoard accepts the token, every one of them
 * arrives, each device `connect`ed first.
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

    // when the broker refused each attempt (the predicate runs on every change of the sandbox's state)
    const refusedAt: number[] = []
    const refusals = /cannot connect to ThingsBoard [^\n]*\n/g
    const observed = Promise.all([
      refusing.waitFor((st) => {
        while (refusedAt.length < st.refusedConnections) refusedAt.push(Date.now())
        return st.refusedConnections >= ATTEMPTS
      }, 30_000),
      gw.cli.waitForOutput(new RegExp(`(cannot connect to ThingsBoard [^\\n]*\\n[\\s\\S]*){${ATTEMPTS}}`), 30_000),
    ])
    let seen = false
    void observed.then(
      () => (seen = true),
      () => (seen = true),
    )
    // requests meanwhile are stored and answered although nothing can be sent
    const ok: number[] = []
    let n = 0
    while (!seen) {
      const r = await post(folder.url, `${prefix}-${n % 3}`, n)
      expect(r.status, `#${n}`).toBe(200)
      ok.push(n++)
      await sleep(50)
    }
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
    // (not a busy loop): the broker saw them at least half the logged waits apart (half: the test's
    // own event loop may see one refusal late on a loaded machine, never early)
    const waits = lines.map((l) => Number(/retrying in (\d+) ms/.exec(l)?.[1]))
    expect(
      waits.every((w, i) => i === 0 || w >= waits[i - 1]!),
      `waits ${waits.join(', ')}`,
    ).toBe(true)
    expect(waits.at(-1)!).toBeGreaterThan(waits[0]!)
    for (let i = 1; i < ATTEMPTS; i++) {
      const gap = refusedAt[i]! - refusedAt[i - 1]!
      expect(gap, `attempt ${i + 1} came ${gap} ms after attempt ${i}, whose logged wait was ${waits[i - 1]} ms`).toBeGreaterThanOrEqual(waits[i - 1]! / 2)
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
      refusedAfterMs: refusedAt.map((t) => t - started),
    })
    expect(await gw.terminate()).toBe(0)
  })
})
