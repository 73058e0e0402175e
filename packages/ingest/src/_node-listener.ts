/**
 * The Node request listener of the ingest server. Every request is looked up in a rou3 router that
 * holds the same routes as the h3 app (see `registerRoutes`); when the matched route has a Node
 * fast-path handler and the request target is plain, the route serves Node's request and response
 * directly, without the web `Request`/`Response` objects srvx builds per request. Everything else
 * (404, 405, HEAD, targets h3 normalises: percent escapes, dot segments, absolute form, ...) goes
 * through h3's own Node handler, unchanged.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { type H3, type NodeHandler, toNodeHandler } from 'h3'
import { findRoute } from 'rou3'
import type { FastRoutes } from './_router.ts'

/**
 * An origin-form target that h3 (srvx's URL) takes as it is: path and query of unreserved and
 * sub-delimiter characters only (no `%`, `\`, `#`, quotes, spaces or non-ASCII), not starting `//`.
 */
const PLAIN_TARGET = /^\/(?!\/)[A-Za-z0-9\-._~!$&()*+,;=:@/?]*$/

/** Whether `target` may skip h3's URL handling (no dot segment either: h3 would resolve it). */
export function isPlainTarget(target: string): boolean {
  return PLAIN_TARGET.test(target) && !target.includes('/.')
}

/** One h3 app and its Node handler: what the listener serves, swapped as a whole by `update()`. */
export interface ListenerTarget {
  readonly app: H3
  readonly viaH3: NodeHandler
  /** The app's routes with their Node fast-path handlers (`registerRoutes`). */
  readonly fast: FastRoutes
}

export function listenerTarget(app: H3, fast: FastRoutes): ListenerTarget {
  return { app, viaH3: toNodeHandler(app), fast }
}

/**
 * The listener reads `ref.current` once per request (a pointer read), so a swapped app serves the
 * next request while a request in flight finishes with the handler it was routed to.
 */
export function createNodeListener(ref: { readonly current: ListenerTarget }): RequestListener {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const { fast, viaH3 } = ref.current
    const target = req.url ?? ''
    const method = req.method ?? ''
    if (method === 'HEAD' || !isPlainTarget(target)) {
      void viaH3(req, res)
      return
    }
    const q = target.indexOf('?')
    const pathname = q < 0 ? target : target.slice(0, q)
    const match = findRoute(fast, method, pathname)
    // rou3 gives `null` data for the routes registered without a handler (405 / 404 fallbacks)
    const node = match?.data
    if (match === undefined || node == null) {
      void viaH3(req, res)
      return
    }
    node(req, res, pathname, q < 0 || q === target.length - 1 ? '' : target.slice(q), match.params ?? {})
  }
}
