/**
 * Sends one OutboundRequest. ofetch drives the tries (retry count and statuses, its error path and
 * hooks); its `fetch` is a small adapter on undici's core `request` over the slot's connection
 * (exactly the configured headers, GET/HEAD with a body, the per-try timeout), which reads the
 * body once, up to maxResponseBytes, and hands ofetch the head.
 */
import { createFetch, type FetchContext, type FetchOptions } from 'ofetch'
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

/** A response body over `maxResponseBytes` (not retried). */
class ResponseTooLarge extends Error {
  readonly status: number
  constructor(status: number, hostPort: string, max: number) {
    super(`response from ${hostPort} is larger than ${max} bytes`)
    this.name = 'ResponseTooLarge'
    this.status = status
  }
}

/**
 * Ends the tries without another request: the scope ended (deadline, close) before a try could
 * start, or the deadline passed between the try's start and its request (the scope's timer may run
 * late): the request is not sent.
 */
class Stop extends Error {
  constructor() {
    super('stopped')
    this.name = 'Stop'
  }
}

/** Statuses for which ofetch makes another try (the same set as `classifyResponse`'s retriable ones; 500 also stands for a network error). */
const RETRY_STATUS_CODES: number[] = [408, 429, ...Array.from({ length: 100 }, (_, i) => 500 + i)]

/** One sendRequest call, shared by the hooks and the adapter through ofetch's options. */
interface Call {
  p: Prepared
  transport: Transport
  env: SendEnv
  scope: Scope
  /** Tries started. */
  tries: number
  /** The slot held by the try in progress. */
  lease: Lease | undefined
  /** The outcome of the last try that failed. */
  last: Attempt | undefined
  /** Wait before the next try. */
  delay: number
  /** The body of the last response. */
  body: Uint8Array
}

const CALL: unique symbol = Symbol('restgate call')
const EMPTY = new Uint8Array(0)
type CallOptions = FetchOptions & { [CALL]: Call }
const callOf = (options: object): Call => (options as CallOptions)[CALL]

/** Bytes of a core undici response body, up to `max` (else ResponseTooLarge). */
async function readCoreBody(body: AsyncIterable<Uint8Array> & { destroy(): void }, max: number, tooLarge: () => Error): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of body) {
    total += chunk.byteLength
    if (total > max) {
      body.destroy()
      throw tooLarge()
    }
    chunks.push(chunk)
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
}

/**
 * ofetch's `fetch`: one try on the slot's own connection (see ConnectionPool). undici's core
 * `request` sends exactly the headers it is given (fetch would add user-agent, accept,
 * accept-language, sec-fetch-mode, ...) and sends GET and HEAD with a body, as the original gateway
 * does (the docs' `echo` RPC is a GET whose body is `${params}`). The body is read here, up to
 * maxResponseBytes, and kept with the call; the Response has none (ofetch reading it again through
 * a web stream cost about 40 µs of CPU per request). The slot is freed once the try is over (an
 * aborted try's socket is destroyed by then). Redirects are followed by undici's redirect
 * interceptor when allowed.
 */
async function adapter(_url: string | URL | Request, init?: RequestInit): Promise<Response> {
  const options = init as RequestInit
  const call = callOf(options)
  const { p, transport, env, scope } = call
  const lease = call.lease as Lease
  // the per-try timeout and the scope (deadline, close) abort one controller
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new DOMException(`timeout after ${transport.timeoutSeconds}s`, 'TimeoutError')), transport.timeoutMs)
  const onScope = (): void => controller.abort(scope.signal.reason)
  if (scope.signal.aborted) onScope()
  else scope.signal.addEventListener('abort', onScope, { once: true })
  try {
    const signal = controller.signal
    const dispatcher = await transport.connections.connection(transport.setup, p.origin, lease.slot, transport.allowRedirects)
    // the last look at the clock before the request is handed to undici: never sent after the deadline
    if (scope.deadlineAt !== undefined && Date.now() >= scope.deadlineAt) throw new Stop()
    const res = await dispatcher.request({
      origin: p.origin,
      path: p.path,
      method: (options.method ?? 'GET') as UndiciDispatcher.HttpMethod,
      // the prepared headers as they are (ofetch's Headers copy holds the same, lower-cased)
      headers: p.init.headers,
      body: (options.body as Buffer | undefined) ?? null,
      signal,
    })
    const status = res.statusCode
    const body = await readCoreBody(res.body, env.maxResponseBytes, () => new ResponseTooLarge(status, p.hostPort, env.maxResponseBytes))
    if (status < 200 || status > 599) throw new Error(`invalid HTTP status ${status}`)
    const out = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue
      for (const v of Array.isArray(value) ? value : [value]) out.append(name, v)
    }
    // the body stays with the call: read once here (for the size cap), not again through a web stream
    call.body = body
    return new Response(null, { status, statusText: res.statusText ?? '', headers: out })
  } finally {
    clearTimeout(timer)
    scope.signal.removeEventListener('abort', onScope)
    lease.release()
    call.lease = undefined
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  if (ms <= 0) return Promise.resolve(true)
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

/**
 * Before every try: the wait before a retry (abortable: ofetch's own `retryDelay` wait is a plain
 * timer that neither the deadline nor close() could cut short), the origin slot, the absolute
 * deadline (a try never starts once the RPC's responseTimeout has passed), then a fresh signal slot
 * for ofetch's per-try timeout, which starts now, slot in hand.
 */
async function onRequest(context: FetchContext): Promise<void> {
  const call = callOf(context.options)
  const { scope } = call
  if (call.tries > 0 && !(await sleep(call.delay, scope.signal))) throw new Stop()
  let lease: Lease
  try {
    lease = await call.env.limiter.acquire(call.p.origin, scope.signal)
  } catch {
    throw new Stop()
  }
  if (scope.signal.aborted || (scope.deadlineAt !== undefined && Date.now() >= scope.deadlineAt)) {
    lease.release()
    throw new Stop()
  }
  call.lease = lease
  call.tries++
  call.last = undefined
  call.body = EMPTY
  call.env.onTry(call.tries)
}

/** After a failed try: stop (not retriable, or the next try would start after the deadline) or plan the wait. */
function settle(context: FetchContext, call: Call, attempt: Attempt): void {
  call.last = attempt
  if (attempt.done) {
    context.options.retry = false
    return
  }
  if (context.options.retry === false || context.options.retry === 0) return
  const delay = attempt.retryAfterMs ?? backoffDelay(call.tries, call.env.retryBaseMs, call.env.retryCapMs)
  if (call.scope.deadlineAt !== undefined && Date.now() + delay >= call.scope.deadlineAt) {
    context.options.retry = false
    return
  }
  call.delay = delay
}

function onRequestError(context: FetchContext & { error: Error }): void {
  const call = callOf(context.options)
  const e = context.error
  if (call.scope.signal.aborted || e instanceof Stop) return settle(context, call, { done: true, failure: call.scope.failure() })
  if (e instanceof ResponseTooLarge)
    return settle(context, call, { done: true, status: e.status, failure: { kind: 'too-large', message: e.message, code: 502 } })
  if (e.name === 'TimeoutError') {
    const message = `timeout after ${call.transport.timeoutSeconds}s`
    return settle(context, call, { done: false, failure: { kind: 'timeout', message, code: 408 } })
  }
  settle(context, call, classifyNetworkError(e, call.p.hostPort))
}

function onResponseError(context: FetchContext & { response: Response }): void {
  const call = callOf(context.options)
  const { response } = context
  const attempt = classifyResponse(response, call.body, call.transport.allowRedirects)
  if (!attempt.done && attempt.failure !== undefined) {
    const after = retryAfterMs(response.headers.get('retry-after'), call.env.retryCapMs)
    if (after !== undefined) attempt.retryAfterMs = after
  }
  settle(context, call, attempt)
}

const $fetch = createFetch({ fetch: adapter as typeof globalThis.fetch })

/**
 * Sends `req` with the transport's tries: retries network errors, per-try timeouts, 5xx, 408 and
 * 429 (after exponential backoff with full jitter, or `Retry-After` up to the cap); never other
 * statuses. Each try holds one slot of the target's origin. Never throws.
 */
export async function sendRequest(req: OutboundRequest, transport: Transport, env: SendEnv, scope: Scope): Promise<SendResult> {
  const prepared = prepare(req, transport)
  if (!('init' in prepared)) return { ok: false, target: req.url, attempts: 0, failure: prepared }
  const call: Call = { p: prepared, transport, env, scope, tries: 0, lease: undefined, last: undefined, delay: 0, body: EMPTY }
  const done = (a: Attempt): SendResult => {
    const out: SendResult = { ok: a.failure === undefined, target: prepared.target, attempts: call.tries }
    if (a.status !== undefined) out.status = a.status
    if (a.failure === undefined) out.result = a.result
    else out.failure = a.failure
    return out
  }
  const options: CallOptions = {
    [CALL]: call,
    method: prepared.init.method,
    headers: prepared.init.headers,
    // a Buffer: ofetch leaves it as it is (a string or object would be JSON with content-type and accept added)
    ...(prepared.init.body === undefined ? {} : { body: Buffer.from(prepared.init.body.buffer, prepared.init.body.byteOffset, prepared.init.body.byteLength) }),
    retry: transport.tries - 1,
    retryStatusCodes: RETRY_STATUS_CODES,
    onRequest,
    onRequestError,
    onResponseError,
  }
  try {
    const response = await $fetch.raw(prepared.url, options)
    return done(classifyResponse(response, call.body, transport.allowRedirects))
  } catch (e) {
    call.lease?.release()
    if (e instanceof Stop) return done({ done: true, failure: scope.failure() })
    if (call.last !== undefined) return done(call.last)
    return done(classifyNetworkError(e, prepared.hostPort))
  }
}
