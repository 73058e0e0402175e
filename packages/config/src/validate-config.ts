/** `validateConfig`: rest.json (old or new format, detected per section) → the normalised model. */
import { resolve } from 'node:path'
import { IssueCollector } from './_collector.ts'
import { section, type NormaliseContext } from './_context.ts'
import { joinPath } from './_describe.ts'
import { readDownlink, readFetchAccess } from './_downlink.ts'
import { readAttributeUpdate, readRpc } from './_rest-outbound.ts'
import { readAttributeRequest, readMapping } from './_rest-mapping.ts'
import { routeShape } from './_rest-endpoint.ts'
import { readServer } from './_rest-server.ts'
import { arrayOf, stringOf, type RawObject } from './_raw.ts'
import { addZodIssues } from './_zod-issues.ts'
import type { EndpointConfig, RestConnectorConfig, ValidationResult } from './model.ts'
import { restConfigSchema, restKeys } from './schema/rest-schema.ts'

export interface ValidateConfigOptions {
  /**
   * Connector name; wins over the file's `name` (tb_gateway.json `connectors[].name` does).
   * @default the file's `name`, else 'REST Connector'
   */
  name?: string
  /**
   * Folder the config file is in: relative paths (certificates, custom converters) resolve against it.
   * @default process.cwd()
   */
  configDir?: string
}

export const validateConfigDefaults: Readonly<{ name: string; logLevel: string }> = Object.freeze({
  name: 'REST Connector',
  logLevel: 'INFO',
})

type RequestSection = 'attributeRequests' | 'attributeUpdates' | 'serverSideRpc'

/** The items of a request section from `requestsMapping` and/or the top level (both → merged, warned). */
function requestItems(ctx: NormaliseContext, root: RawObject, requests: RawObject | undefined, key: RequestSection): Array<{ value: unknown; path: string }> {
  const nested = requests?.[key]
  const top = root[key]
  if (Array.isArray(nested) && Array.isArray(top)) {
    ctx.collector.warn(key, `also given as "requestsMapping.${key}"; using both (requestsMapping first)`)
  }
  const items: Array<{ value: unknown; path: string }> = []
  arrayOf(nested).forEach((value, index) => items.push({ value, path: joinPath(joinPath('requestsMapping', key), index) }))
  arrayOf(top).forEach((value, index) => items.push({ value, path: joinPath(key, index) }))
  return items
}

/** Every (endpoint, method) pair must be served by one endpoint only. */
function checkRouteClashes(ctx: NormaliseContext, endpoints: readonly EndpointConfig[]): void {
  const seen = new Map<string, string>()
  for (const endpoint of endpoints) {
    if (endpoint.endpoint === '') continue
    for (const method of endpoint.methods) {
      const key = `${method} ${routeShape(endpoint.endpoint)}`
      const first = seen.get(key)
      if (first === undefined) {
        seen.set(key, endpoint.path)
        continue
      }
      ctx.collector.expectedText(
        joinPath(endpoint.path, 'endpoint'),
        'an endpoint and method not served by another endpoint',
        `${JSON.stringify(endpoint.endpoint)} with ${method}, already served by ${first}`,
      )
    }
  }
}

function normalise(ctx: NormaliseContext, root: RawObject, options: ValidateConfigOptions): RestConnectorConfig {
  section(ctx, root, '', restKeys.root)
  const requests = section(ctx, root.requestsMapping, 'requestsMapping', restKeys.requestsMapping)
  const server = readServer(ctx, root)
  const mapping = arrayOf(root.mapping).flatMap((value, index) => readMapping(ctx, value, joinPath('mapping', index)) ?? [])
  const attributeRequests = requestItems(ctx, root, requests, 'attributeRequests').flatMap(({ value, path }) => readAttributeRequest(ctx, value, path) ?? [])
  const attributeUpdates = requestItems(ctx, root, requests, 'attributeUpdates').flatMap(({ value, path }) => readAttributeUpdate(ctx, value, path) ?? [])
  const serverSideRpc = requestItems(ctx, root, requests, 'serverSideRpc').flatMap(({ value, path }) => readRpc(ctx, value, path) ?? [])
  checkRouteClashes(ctx, [...mapping, ...attributeRequests])
  if (root.mapping === undefined && attributeRequests.length + attributeUpdates.length + serverSideRpc.length === 0) {
    ctx.collector.warn('', 'no "mapping", "attributeRequests", "attributeUpdates" or "serverSideRpc": this connector does nothing')
  }
  return {
    name: options.name ?? stringOf(root.name) ?? validateConfigDefaults.name,
    logLevel: stringOf(root.logLevel)?.toUpperCase() ?? validateConfigDefaults.logLevel,
    server,
    mapping,
    attributeRequests,
    attributeUpdates,
    serverSideRpc,
    downlink: readDownlink(ctx, root.downlink, restKeys.downlink),
    reservedRpc: readFetchAccess(ctx, root.reservedRpc, 'reservedRpc', restKeys.fetchAccess, 'reservedRpc (rest.json)'),
    configDir: ctx.configDir,
  }
}

/**
 * Validates a parsed rest.json (either format) and returns the normalised config with every
 * default filled, or every issue found (each `{ path, message }`, message `<path>: expected ...; got ...`).
 * Warnings (unknown keys, not-implemented keys, relative URLs, ...) never make the result fail.
 */
export function validateConfig(json: unknown, options: ValidateConfigOptions = {}): ValidationResult<RestConnectorConfig> {
  const collector = new IssueCollector()
  const ctx: NormaliseContext = { collector, configDir: resolve(options.configDir ?? process.cwd()) }
  const parsed = restConfigSchema.safeParse(json, { reportInput: true })
  if (!parsed.success) addZodIssues(collector, '', parsed.error.issues)
  const root = section(ctx, json, '', undefined)
  if (root === undefined) return { ok: false, issues: collector.issues, warnings: collector.warnings }
  const config = normalise(ctx, root, options)
  if (!collector.ok) return { ok: false, issues: collector.issues, warnings: collector.warnings }
  return { ok: true, config, issues: [], warnings: collector.warnings }
}
