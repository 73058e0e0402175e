/**
 * Traffic of the fault tests: numbered messages posted to the gateway (one at a time or as a paced
 * load from several senders), and what the sandbox received, by sequence number.
 */
import { Agent, request } from 'node:http'
import type { Sandbox } from '@restgate/sandbox'

// ---------------------------------------------------------------- load

export interface PostResult {
  /** HTTP status, or 0 when no answer came (connection refused or reset, timeout). */
  status: number
  /** JSON `code` of an error answer, or the network error's code. */
  code?: string
  retryAfter?: string | null
}

// node:http with a keep-alive agent rather than fetch: undici's fetch costs the test process about
// 1 ms of CPU a request against 0.15 ms here (measured on the 2-core test machine), and the fault
// tests post a few thousand messages. Idle sockets are unref'ed by the agent: they keep no worker alive.
const agent = new Agent({ keepAlive: true })

/** POSTs one numbered message; never throws. */
export function post(url: string, device: string, n: number, timeoutMs = 5_000): Promise<PostResult> {
  const body = JSON.stringify({ name: device, n })
  return new Promise<PostResult>((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, code: error.code ?? error.name }))
      res.on('end', () => {
        const status = res.statusCode ?? 0
        if (status === 200) return finish({ status: 200 })
        let code: string | undefined
        try {
          code = (JSON.parse(text) as { code?: string }).code
        } catch {
          code = undefined
        }
        const retryAfter = res.headers['retry-after']
        finish({ status, code, retryAfter: retryAfter ?? null })
      })
    })
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TimeoutError' })), timeoutMs)
    let done = false
    function finish(r: PostResult): void {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(r)
    }
    // connection refused or reset, socket hang up, timeout: no answer
    req.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, code: error.code ?? error.name }))
    req.end(body)
  })
}

export interface LoadOptions {
  /** Where to POST. */
  url: string | (() => string)
  /** Device name prefix; sender k posts as `<prefix>-<k>`, so per device the send order is the `n` order. */
  prefix: string
  senders: number
  total: number
  /** Pace: message `n` is not sent before `start + n × intervalMs`. */
  intervalMs: number
  /** Stop sending once this many requests were answered with an error status. @default no limit */
  stopAfterRefused?: number
}

export interface LoadResult {
  /** Sequence numbers answered 200. */
  ok: Set<number>
  /** Every sequence number sent (answered or not). */
  sent: Map<number, string>
  /** Answers per status: `200`, `503 OUTBOX_FULL`, `0 ECONNREFUSED`, ... */
  statuses: Map<string, number>
  /** Non-200 HTTP answers (status > 0), for assertions. */
  refused: Array<PostResult & { n: number }>
  /** Attempts refused at the TCP level (no process listening) and tried again. */
  retried: number
}

/** How long a sender keeps trying one message while the gateway's port refuses connections. */
const RETRY_REFUSED_MS = 8_000

export interface Load {
  done: Promise<LoadResult>
  /** Messages sent so far. */
  sent(): number
  /** Resolves once `count` messages were sent (or the load ended). */
  reached(count: number): Promise<void>
}

/**
 * A bounded, paced stream of numbered messages from `senders` concurrent senders. A connection
 * refused (no gateway listening) is tried again after 20 ms for up to 8 s, as a device would; any
 * other failure moves on to the next number (the message may or may not have been stored).
 */
export function startLoad(o: LoadOptions): Load {
  const result: LoadResult = { ok: new Set(), sent: new Map(), statuses: new Map(), refused: [], retried: 0 }
  const start = Date.now()
  const url = typeof o.url === 'string' ? () => o.url as string : o.url
  let next = 0
  const waiters: Array<{ count: number; resolve: () => void }> = []
  const notify = (): void => {
    for (const w of waiters.splice(0)) {
      if (result.sent.size >= w.count || next >= o.total) w.resolve()
      else waiters.push(w)
    }
  }
  const sender = async (k: number): Promise<void> => {
    const device = `${o.prefix}-${k}`
    for (;;) {
      if (o.stopAfterRefused !== undefined && result.refused.length >= o.stopAfterRefused) return
      const n = next++
      if (n >= o.total) return
      const wait = start + n * o.intervalMs - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      result.sent.set(n, device)
      notify()
      let r = await post(url(), device, n)
      // a refused connection (the gateway is restarting) never reached it: the device tries again
      const giveUp = Date.now() + RETRY_REFUSED_MS
      while (r.status === 0 && r.code === 'ECONNREFUSED' && Date.now() < giveUp) {
        result.retried++
        await new Promise((res) => setTimeout(res, 20))
        r = await post(url(), device, n)
      }
      const key = r.status === 200 ? '200' : `${r.status} ${r.code ?? ''}`.trim()
      result.statuses.set(key, (result.statuses.get(key) ?? 0) + 1)
      if (r.status === 200) result.ok.add(n)
      else if (r.status > 0) result.refused.push({ n, ...r })
    }
  }
  const done = Promise.all(Array.from({ length: o.senders }, (_, k) => sender(k))).then(() => {
    notify()
    return result
  })
  return {
    done,
    sent: () => result.sent.size,
    reached: (count) =>
      new Promise<void>((resolve) => {
        waiters.push({ count, resolve })
        notify()
      }),
  }
}

// ---------------------------------------------------------------- what arrived

export interface Arrival {
  device: string
  receivedAt: number
  duplicate: boolean
}

/** Every telemetry entry the sandbox holds for devices named `<prefix>-*`, by sequence number. */
export function arrivals(sb: Sandbox, prefix: string): Map<number, Arrival[]> {
  const out = new Map<number, Arrival[]>()
  for (const d of sb.state.devices.values()) {
    if (!d.name.startsWith(`${prefix}-`)) continue
    for (const t of d.telemetry) {
      const n = Number(t.values.n)
      const list = out.get(n) ?? []
      list.push({ device: d.name, receivedAt: t.receivedAt, duplicate: t.duplicate })
      out.set(n, list)
    }
  }
  return out
}

/**
 * Waits until every number in `expected` has arrived at least once; rejects naming the missing
 * ones (with the tail of the gateway's output when `output` is given).
 */
export async function waitForArrivals(
  sb: Sandbox,
  prefix: string,
  expected: Iterable<number>,
  timeoutMs = 15_000,
  output?: () => string,
): Promise<Map<number, Arrival[]>> {
  const want = [...expected]
  const missing = (): number[] => {
    const got = arrivals(sb, prefix)
    return want.filter((n) => !got.has(n))
  }
  try {
    await sb.waitFor(() => missing().length === 0, timeoutMs)
  } catch {
    const m = missing()
    const tail = output === undefined ? '' : `\ngateway output (tail):\n${output().slice(-4000)}`
    throw new Error(`${m.length} of ${want.length} messages answered 200 never arrived (first: ${m.slice(0, 20).join(', ')})${tail}`)
  }
  return arrivals(sb, prefix)
}

/** Per device, the sequence numbers of first arrivals in arrival order (must be increasing). */
export function firstArrivalOrder(sb: Sandbox, prefix: string): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const d of sb.state.devices.values()) {
    if (!d.name.startsWith(`${prefix}-`)) continue
    out.set(
      d.name,
      d.telemetry.filter((t) => !t.duplicate).map((t) => Number(t.values.n)),
    )
  }
  return out
}

export const isIncreasing = (ns: readonly number[]): boolean => ns.every((n, i) => i === 0 || n > (ns[i - 1] as number))

/** One summary line per test in the output, so a CI log shows what each fault run did. */
export function report(name: string, data: Record<string, unknown>): void {
  const parts = Object.entries(data).map(([k, v]) => `${k}=${v instanceof Map ? JSON.stringify(Object.fromEntries(v)) : JSON.stringify(v)}`)
  console.log(`[fault] ${name}: ${parts.join(' ')}`)
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
