/**
 * Registers one h3 route per (endpoint, method), plus per path a method-less fallback answering
 * 405 with `Allow`, and a catch-all 404. h3's radix router (rou3) makes lookup cost independent of
 * the number of mappings. The same routes go into a second rou3 router of our own, whose data is the
 * route's Node fast-path handler (or nothing, for the fallbacks): the Node listener looks requests
 * up there, with rou3's public API, and finds exactly the route h3 would.
 */
import type { H3, H3Event, HTTPResponse } from 'h3'
import { addRoute, createRouter, type RouterContext } from 'rou3'
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

/** The Node listener's router: h3's routes, with each route's fast-path handler (none for fallbacks). */
export type FastRoutes = RouterContext<NodeRouteHandler | undefined>

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

export function registerRoutes(app: H3, entries: readonly RouteEntry[], rt: IngestRuntime): FastRoutes {
  const fast: FastRoutes = createRouter()
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
      app.on(upper as 'GET', pattern, entry.handle)
      addRoute(fast, upper, pattern, entry.node)
    }
  }
  for (const group of byShape.values()) {
    const allow = [...group.methods.keys()].toSorted().join(', ')
    const message = `allowed methods: ${allow}`
    const endpoint = group.methods.values().next().value?.endpoint ?? ''
    addRoute(fast, '', group.pattern, undefined)
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
  addRoute(fast, '', '/**', undefined)
  if (!byShape.has('/')) {
    app.all('/', notFound)
    addRoute(fast, '', '/', undefined)
  }
  return fast
}
