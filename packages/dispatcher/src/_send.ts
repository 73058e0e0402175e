/** Sends one OutboundRequest: tries, per-try timeout, backoff, per-origin slots, response reading. */
import type { Dispatcher as UndiciDispatcher } from 'undici'
import type { ConnectionPool, TlsSetup } from './_agents.ts'
import type { OutboundRequest } from '@restgate/converters'
import { backoffDelay, retryAfterMs } from './_backoff.ts'
import { classifyNetworkError, classifyResponse, type Attempt } from './_classify.ts'
import type { Lease, OriginLimiter } from './_origin-limiter.ts'
import type { Scope } from './_scope.ts'
import type { RequestFailure } from './types.ts'

/** How a rule's requests travel. */
export interface Transport {
  /** One connection per slot of each origin (see ConnectionPool). */
  connections: ConnectionPool
  setup: TlsSetup
  /** `Basic ...` from the rule's security; wins over a configured Authorization header. */
  authorization: string | undefined
  timeoutMs: number
  /** `timeout` as configured, for messages. */
  timeoutSeconds: number
  tries: number
  allowRedirects: boolean
}

export interface SendEnv {
  limiter: OriginLimiter
  maxResponseBytes: number
  retryBaseMs: number
  retryCapMs: number
  /** Called before every try (1-based). */
  onTry(attempt: number): void
}

export interface SendResult {
  ok: boolean
  /** `origin + pathname` of the target, for logs (no query, no credentials). */
  target: string
  status?: number
  attempts: number
  result?: unknown
  failure?: RequestFailure
}

const TOO_LARGE: unique symbol = Symbol('too large')

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

interface Prepared {
  url: string
  target: string
  hostPort: string
  origin: string
  /** `pathname + search`, what undici's core request takes with `origin`. */
  path: string
  init: {
    method: string
    headers: Record<string, string>
    body: Uint8Array | undefined
  }
}

function prepare(req: OutboundRequest, transport: Transport): Prepared | RequestFailure {
  let url: URL
  try {
    url = new URL(req.url)
  } catch {
    return { kind: 'build', message: `invalid URL "${req.url.slice(0, 200)}"`, code: 500 }
  }
  const headers = { ...req.headers }
  if (url.username !== '' || url.password !== '') {
    if (transport.authorization === undefined && headers.authorization === undefined) {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
      headers.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`
    }
    url.username = ''
    url.password = ''
  }
  if (transport.authorization !== undefined) headers.authorization = transport.authorization
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port
  return {
    url: url.href,
    target: `${url.origin}${url.pathname}`,
    hostPort: `${url.hostname}:${port}`,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    // undici's core request adds only what HTTP needs (host, content-length, connection): no
    // user-agent, accept, sec-fetch-* or content type that the rule did not configure
    init: { method: req.method, headers, body },
  }
}

/** Bytes of a core undici response body, up to `max`. */
async function readCoreBody(body: AsyncIterable<Uint8Array> & { destroy(): void }, max: number): Promise<Uint8Array | typeof TOO_LARGE> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of body) {
    total += chunk.byteLength
    if (total > max) {
      body.destroy()
      return TOO_LARGE
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/**
 * Every request goes through undici's core `request` on the rule's own agent: it sends exactly the
 * configured headers (fetch would add user-agent, accept, accept-language, sec-fetch-mode, ...) and
 * it sends GET and HEAD with a body, as the original gateway does (the docs' `echo` RPC is a GET
 * whose body is `${params}`). Redirects are followed by undici's redirect interceptor when allowed.
 * The answer is returned as a web `Response` head plus the body bytes.
 */
async function sendCore(
  p: Prepared,
  transport: Transport,
  slot: number,
  signal: AbortSignal,
  maxBytes: number,
): Promise<{ response: Response; body: Uint8Array | typeof TOO_LARGE }> {
  const agent = await transport.connections.connection(transport.setup, p.origin, slot, transport.allowRedirects)
  const res = await agent.request({
    origin: p.origin,
    path: p.path,
    method: p.init.method as UndiciDispatcher.HttpMethod,
    headers: p.init.headers,
    body: p.init.body === undefined ? null : Buffer.from(p.init.body),
    signal,
  })
  const headers = new Headers()
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
  }
  const body = await readCoreBody(res.body, maxBytes)
  return { response: new Response(null, { status: res.statusCode, statusText: res.statusText ?? '', headers }), body }
}

async function attemptOnce(p: Prepared, transport: Transport, env: SendEnv, scope: Scope, slot: number): Promise<Attempt> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new Error(`timeout after ${transport.timeoutSeconds}s`))
  }, transport.timeoutMs)
  timer.unref?.()
  const onScopeAbort = (): void => controller.abort(scope.signal.reason)
  scope.signal.addEventListener('abort', onScopeAbort, { once: true })
  try {
    const { response, body } = await sendCore(p, transport, slot, controller.signal, env.maxResponseBytes)
    if (body === TOO_LARGE) {
      const failure: RequestFailure = { kind: 'too-large', message: `response from ${p.hostPort} is larger than ${env.maxResponseBytes} bytes`, code: 502 }
      return { done: true, status: response.status, failure }
    }
    const attempt = classifyResponse(response, body, transport.allowRedirects)
    if (!attempt.done && attempt.failure !== undefined) {
      const after = retryAfterMs(response.headers.get('retry-after'), env.retryCapMs)
      if (after !== undefined) attempt.retryAfterMs = after
    }
    return attempt
  } catch (e) {
    if (scope.signal.aborted) return { done: true, failure: scope.failure(), aborted: true }
    if (timedOut) return { done: false, failure: { kind: 'timeout', message: `timeout after ${transport.timeoutSeconds}s`, code: 408 }, aborted: true }
    return classifyNetworkError(e, p.hostPort)
  } finally {
    clearTimeout(timer)
    scope.signal.removeEventListener('abort', onScopeAbort)
  }
}

/**
 * Sends `req` with the transport's tries: retries network errors, per-try timeouts, 5xx, 408 and
 * 429 (after exponential backoff with full jitter, or `Retry-After` up to the cap); never other
 * statuses. Each try holds one slot of the target's origin. Never throws.
 */
export async function sendRequest(req: OutboundRequest, transport: Transport, env: SendEnv, scope: Scope): Promise<SendResult> {
  const prepared = prepare(req, transport)
  if (!('init' in prepared)) return { ok: false, target: req.url, attempts: 0, failure: prepared }
  const done = (a: Attempt, attempts: number): SendResult => {
    const out: SendResult = { ok: a.failure === undefined, target: prepared.target, attempts }
    if (a.status !== undefined) out.status = a.status
    if (a.failure === undefined) out.result = a.result
    else out.failure = a.failure
    return out
  }
  for (let attempt = 1; ; attempt++) {
    let lease: Lease
    try {
      lease = await env.limiter.acquire(prepared.origin, scope.signal)
    } catch {
      return done({ done: true, failure: scope.failure() }, attempt - 1)
    }
    // absolute deadline: a try never starts once the RPC's responseTimeout has passed (it got its 408)
    if (scope.signal.aborted || (scope.deadlineAt !== undefined && Date.now() >= scope.deadlineAt)) {
      lease.release()
      return done({ done: true, failure: scope.failure() }, attempt - 1)
    }
    let result: Attempt
    try {
      env.onTry(attempt)
      // the slot's own connection: an aborted try's socket is destroyed before that connection opens another
      result = await attemptOnce(prepared, transport, env, scope, lease.slot)
    } finally {
      lease.release()
    }
    if (result.done || attempt >= transport.tries) return done(result, attempt)
    const delay = result.retryAfterMs ?? backoffDelay(attempt, env.retryBaseMs, env.retryCapMs)
    if (scope.deadlineAt !== undefined && Date.now() + delay >= scope.deadlineAt) return done(result, attempt)
    if (!(await sleep(delay, scope.signal))) return done({ done: true, failure: scope.failure() }, attempt)
  }
}
