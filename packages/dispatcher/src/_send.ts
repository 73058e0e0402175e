/** Sends one OutboundRequest: tries, per-try timeout, backoff, per-origin slots, response reading. */
import type { $Fetch, FetchResponse } from 'ofetch'
import { interceptors, type Dispatcher as UndiciDispatcher } from 'undici'
import type { OutboundRequest } from '@restgate/converters'
import { backoffDelay, retryAfterMs } from './_backoff.ts'
import { classifyNetworkError, classifyResponse, type Attempt } from './_classify.ts'
import type { OriginLimiter } from './_origin-limiter.ts'
import type { Scope } from './_scope.ts'
import type { RequestFailure } from './types.ts'

/** How a rule's requests travel. */
export interface Transport {
  agent: UndiciDispatcher
  /** `Basic ...` from the rule's security; wins over a configured Authorization header. */
  authorization: string | undefined
  timeoutMs: number
  /** `timeout` as configured, for messages. */
  timeoutSeconds: number
  tries: number
  allowRedirects: boolean
}

export interface SendEnv {
  fetch: $Fetch
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

async function readBody(response: Response, max: number): Promise<Uint8Array | typeof TOO_LARGE> {
  const stream = response.body
  if (stream === null) return new Uint8Array(0)
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      await reader.cancel().catch(() => undefined)
      return TOO_LARGE
    }
    chunks.push(value)
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
}

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
  init: {
    method: string
    headers: Record<string, string>
    body: Uint8Array | undefined
    dispatcher: UndiciDispatcher
    redirect: 'follow' | 'manual'
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
    // bytes, never a string: no content type is added that the rule did not configure
    init: { method: req.method, headers, body, dispatcher: transport.agent, redirect: transport.allowRedirects ? 'follow' : 'manual' },
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

const redirecting = new WeakMap<UndiciDispatcher, UndiciDispatcher>()

/** `agent` with undici's redirect interceptor, composed once per agent. */
function following(agent: UndiciDispatcher): UndiciDispatcher {
  let composed = redirecting.get(agent)
  if (composed === undefined) {
    composed = agent.compose(interceptors.redirect({ maxRedirections: 20 }))
    redirecting.set(agent, composed)
  }
  return composed
}

/**
 * GET and HEAD with a body, as the original gateway sends them (the docs' `echo` RPC is a GET whose
 * body is `${params}`). fetch refuses such requests, so these go through undici's core `request`
 * on the rule's own agent; redirects are followed by undici's redirect interceptor when allowed.
 * The answer is returned as a web `Response` head plus the body bytes, like the fetch path.
 */
async function sendWithBody(p: Prepared, transport: Transport, signal: AbortSignal, maxBytes: number): Promise<{ response: Response; body: Uint8Array | typeof TOO_LARGE }> {
  const url = new URL(p.url)
  const agent = transport.allowRedirects ? following(transport.agent) : transport.agent
  const res = await agent.request({
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
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
  return { response: new Response(null, { status: res.statusCode, headers }), body }
}

async function attemptOnce(p: Prepared, transport: Transport, env: SendEnv, scope: Scope): Promise<Attempt> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new Error(`timeout after ${transport.timeoutSeconds}s`))
  }, transport.timeoutMs)
  const onScopeAbort = (): void => controller.abort(scope.signal.reason)
  scope.signal.addEventListener('abort', onScopeAbort, { once: true })
  try {
    let response: Response
    let body: Uint8Array | typeof TOO_LARGE
    if ((p.init.method === 'GET' || p.init.method === 'HEAD') && p.init.body !== undefined) {
      ;({ response, body } = await sendWithBody(p, transport, controller.signal, env.maxResponseBytes))
    } else {
      const fetched: FetchResponse<unknown> = await env.fetch.raw(p.url, {
        ...p.init,
        signal: controller.signal,
        retry: false,
        ignoreResponseError: true,
        responseType: 'stream',
      })
      response = fetched
      body = await readBody(fetched, env.maxResponseBytes)
    }
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
    if (scope.signal.aborted) return { done: true, failure: scope.failure() }
    if (timedOut) return { done: false, failure: { kind: 'timeout', message: `timeout after ${transport.timeoutSeconds}s`, code: 408 } }
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
    let release: () => void
    try {
      release = await env.limiter.acquire(prepared.origin, scope.signal)
    } catch {
      return done({ done: true, failure: scope.failure() }, attempt - 1)
    }
    let result: Attempt
    try {
      env.onTry(attempt)
      result = await attemptOnce(prepared, transport, env, scope)
    } finally {
      release()
    }
    if (result.done || attempt >= transport.tries) return done(result, attempt)
    const delay = result.retryAfterMs ?? backoffDelay(attempt, env.retryBaseMs, env.retryCapMs)
    if (scope.deadlineAt !== undefined && Date.now() + delay >= scope.deadlineAt) return done(result, attempt)
    if (!(await sleep(delay, scope.signal))) return done({ done: true, failure: scope.failure() }, attempt)
  }
}
