/**
 * The test broker is the sandbox's (`@restgate/sandbox/testing`): an in-process aedes broker on
 * 127.0.0.1 that records every publish with its client id, stops and restarts on the same port,
 * refuses logins, serves TLS, and holds or drops PUBACKs. `waitUntil` is this package's own.
 */
import { vi } from 'vitest'

export { startTestBroker } from '@restgate/sandbox/testing'
export type { ConnectAttempt, RecordedPublish, TestBroker, TestBrokerOptions } from '@restgate/sandbox/testing'

/** `vi.waitFor` on a condition: polls `check` every 5 ms until it returns true; fails after `timeoutMs` naming `what`. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!check()) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    },
    { timeout: timeoutMs, interval: 5 },
  )
}
