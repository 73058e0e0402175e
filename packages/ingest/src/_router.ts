/**
 * Registers one h3 route per (endpoint, method), plus per path a method-less fallback answering
 * 405 with `Allow`, and a catch-all 404. h3's radix router (rou3) makes lookup cost independent of
 * the number of mappings. A route's Node fast-path handler rides in the route's meta, so the Node
 * listener finds it with h3's own lookup.
 */
import type { H3, H3Event, HTTPResponse } from 'h3'
import type { NodeRouteHandler } from './_endpoint-route.ts'
import { errorResponse, toHttpResponse } from './_respond.ts'
import type { IngestRuntime } from './_runtime.ts'
import { IngestError } from './errors.ts'

export interface RouteEntry {
  endpoint: string
  methods: readonly string[]
  handle: (event: H3Event) => Promise<HTTPResponse>
  /** The same handler for Node requests (the fast path); absent → such requests go through h3. */
  node?: NodeRouteHandler
  /** Config path of the endpoint, for error messages. */
  path: string
}

/** Key of the Node fast-path handler in an h3 route's `meta`. */
export const NODE_HANDLER = 'restgate:node'

const BRACE_PARAM = /\{([^}:]+)(?::[^}]*)?\}/g
const NAMED_PARAM = /:[^/]+/g

/** `/dev/{name}` (aiohttp) or `/dev/:name` (h3) → the h3 pattern `/dev/:name`. */
export function routePattern(endpoint: string): string {
  const withSlash = endpoint.startsWith('/') ? endpoint : `/${endpoint}`
  return withSlash.replace(BRACE_PARAM, (_match, name: string) => `:${name.trim()}`)
}

/** Same shape regardless of parameter names: `/dev/:name` and `/dev/:id` clash. */
function shapeOf(pattern: string): string {
  return pattern.replace(NAMED_PARAM, ':')
}

export function registerRoutes(app: H3, entries: readonly RouteEntry[], rt: IngestRuntime): void {
  const byShape = new Map<string, { pattern: string; methods: Map<string, RouteEntry> }>()
  for (const entry of entries) {
    if (/\{[^}]*:[^}]*\}/.test(entry.endpoint)) {
      rt.logger.warn(
        {
          path: `${entry.path}.endpoint`,
          endpoint: entry.endpoint,
        },
        'the regular expression of a path parameter is ignored; the parameter matches one path segment',
      )
    }
    const pattern = routePattern(entry.endpoint)
    const shape = shapeOf(pattern)
    let group = byShape.get(shape)
    if (!group) byShape.set(shape, (group = { pattern, methods: new Map() }))
    for (const method of entry.methods) {
      const upper = method.toUpperCase()
      const other = group.methods.get(upper)
      if (other) {
        throw new IngestError(
          'CONFIG_INVALID',
          `${entry.path}.endpoint: ${upper} ${entry.endpoint} is already served by ${other.path} (${other.endpoint}); one endpoint and method can have one handler`,
        )
      }
      group.methods.set(upper, entry)
      app.on(upper as 'GET', pattern, entry.handle, entry.node ? { meta: { [NODE_HANDLER]: entry.node } } : undefined)
    }
  }
  for (const group of byShape.values()) {
    const allow = [...group.methods.keys()].toSorted().join(', ')
    const message = `allowed methods: ${allow}`
    const endpoint = group.methods.values().next().value?.endpoint ?? ''
    app.on('', group.pattern, (event: H3Event) => {
      rt.requests++
      return toHttpResponse(
        rt.finish(errorResponse(405, 'METHOD_NOT_ALLOWED', `${event.req.method} is not allowed on this endpoint; ${message}`, { allow }), endpoint),
      )
    })
  }
  const notFound = (event: H3Event): HTTPResponse => {
    rt.requests++
    return toHttpResponse(rt.finish(errorResponse(404, 'NOT_FOUND', `no endpoint is configured at ${event.url.pathname}`)))
  }
  app.all('/**', notFound)
  if (!byShape.has('/')) app.all('/', notFound)
}
