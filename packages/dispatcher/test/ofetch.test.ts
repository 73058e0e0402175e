/**
 * What the dispatcher relies on, and works around, in ofetch 1.5.1 (see README, "How a request is
 * sent"). The adapter here is a real fetch function that waits for its signal, no network needed.
 */
import { createFetch, type FetchOptions } from 'ofetch'
import { describe, expect, it } from 'vitest'

interface Seen {
  abortedAtStart: boolean
  abortedBy: 'signal' | 'nothing'
}

/** A fetch that never answers: it ends when its signal aborts, or after `maxMs` with a 500. */
function hangingFetch(seen: Seen[], maxMs: number): typeof globalThis.fetch {
  return (_url, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init?.signal ?? undefined
      const entry: Seen = { abortedAtStart: signal?.aborted === true, abortedBy: 'nothing' }
      seen.push(entry)
      if (signal?.aborted === true) {
        entry.abortedBy = 'signal'
        reject(signal.reason)
        return
      }
      const timer = setTimeout(() => resolve(new Response('late', { status: 500 })), maxMs)
      signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        entry.abortedBy = 'signal'
        reject(signal.reason)
      })
    })
}

const tries: FetchOptions = { retry: 1, retryStatusCodes: [500], retryDelay: 0, timeout: 50 }

describe('ofetch 1.5.1 as the dispatcher uses it', () => {
  it('a retry after a timeout inherits the aborted signal: it fails at once without a fresh one', async () => {
    const seen: Seen[] = []
    const $fetch = createFetch({ fetch: hangingFetch(seen, 5_000) })
    await expect($fetch('http://127.0.0.1/', tries)).rejects.toThrow()
    expect(seen).toEqual([
      { abortedAtStart: false, abortedBy: 'signal' },
      { abortedAtStart: true, abortedBy: 'signal' }, // the retry never had a chance
    ])
  })

  it('with the signal reset in onRequest (as the dispatcher does) each try gets its own timeout', async () => {
    const seen: Seen[] = []
    const $fetch = createFetch({ fetch: hangingFetch(seen, 5_000) })
    const started = performance.now()
    await expect(
      $fetch('http://127.0.0.1/', {
        ...tries,
        onRequest: (context) => {
          context.options.signal = undefined
        },
      }),
    ).rejects.toThrow()
    expect(seen).toEqual([
      { abortedAtStart: false, abortedBy: 'signal' },
      { abortedAtStart: false, abortedBy: 'signal' },
    ])
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 50 - 5) // two full timeouts
  })

  it('given a signal of its own, ofetch sets no timeout at all (so the scope signal joins in the adapter)', async () => {
    const seen: Seen[] = []
    const $fetch = createFetch({ fetch: hangingFetch(seen, 300) })
    const never = new AbortController().signal
    await expect($fetch('http://127.0.0.1/', { ...tries, retry: 0, signal: never })).rejects.toThrow('500')
    expect(seen).toEqual([{ abortedAtStart: false, abortedBy: 'nothing' }]) // ended by the 300 ms fallback, not by the 50 ms timeout
  })

  it('a Buffer body is passed as it is: no JSON serialisation, no content-type or accept added', async () => {
    let got: { body: unknown; headers: Headers } | undefined
    const $fetch = createFetch({
      fetch: async (_url, init) => {
        got = { body: init?.body, headers: new Headers(init?.headers) }
        return new Response(null, { status: 204 })
      },
    })
    const body = Buffer.from('"just text"')
    await $fetch.raw('http://127.0.0.1/', { method: 'GET', body, headers: { 'x-a': '1' } })
    expect(got?.body).toBe(body)
    expect([...(got?.headers.keys() ?? [])]).toEqual(['x-a'])
    await $fetch.raw('http://127.0.0.1/', { method: 'POST', body: 'text', headers: { 'x-a': '1' } })
    expect([...(got?.headers.keys() ?? [])].toSorted()).toEqual(['accept', 'content-type', 'x-a']) // why not a string
  })
})
