/**
 * The HTTP client (ofetch over undici), loaded on the first outbound request rather than at
 * start-up: a gateway that only forwards uplink data never pays its ~9 MB. The rules themselves
 * (templates, TLS files) are still prepared and checked at `ready()`.
 */
import type { $Fetch } from 'ofetch'
import type { Agent } from 'undici'

export interface HttpClient {
  fetch: $Fetch
  Agent: typeof Agent
}

let loading: Promise<HttpClient> | undefined

/** ofetch bound to undici's fetch (whose `dispatcher` option the agents need); loaded once. */
export function loadHttpClient(): Promise<HttpClient> {
  loading ??= Promise.all([import('ofetch'), import('undici')]).then(([ofetch, undici]) => ({
    fetch: ofetch.createFetch({
      fetch: undici.fetch as unknown as typeof globalThis.fetch,
      Headers: undici.Headers as unknown as typeof Headers,
    }),
    Agent: undici.Agent,
  }))
  return loading
}
