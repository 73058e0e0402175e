/** Loads tb_gateway.json and every `rest` connector file it lists, collecting all problems at once. */
import { relative } from 'node:path'
import { readConfig, readGatewayConfig, type ConfigIssue, type GatewayConfig, type RestConnectorConfig } from '@restgate/config'

export interface LoadedGateway {
  gateway: GatewayConfig
  connectors: RestConnectorConfig[]
}

export type LoadResult = { ok: true; value: LoadedGateway; warnings: ConfigIssue[] } | { ok: false; issues: ConfigIssue[]; warnings: ConfigIssue[] }

export interface LoadOptions {
  /** @default process.env */
  env?: Record<string, string | undefined>
  /** Base for the file names shown in messages. @default process.cwd() */
  cwd?: string
}

/** Prefixes each issue with the file it comes from, so the user knows which file to open. */
function inFile(file: string, issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues.map((i) => ({ path: i.path, message: `${file}: ${i.message}` }))
}

export async function loadGatewayFiles(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  const cwd = options.cwd ?? process.cwd()
  const show = (p: string): string => relative(cwd, p) || p
  const gw = await readGatewayConfig(path, { env: options.env ?? process.env })
  const warnings = inFile(show(path), gw.warnings)
  if (!gw.ok) return { ok: false, issues: inFile(show(path), gw.issues), warnings }
  const issues: ConfigIssue[] = []
  const connectors: RestConnectorConfig[] = []
  if (gw.config.connectors.length === 0) {
    issues.push({ path: 'connectors', message: `${show(path)}: connectors: expected at least one connector of type "rest"; got none` })
  }
  const names = new Set<string>()
  for (const entry of gw.config.connectors) {
    if (names.has(entry.name)) {
      issues.push({ path: `${entry.path}.name`, message: `${show(path)}: ${entry.path}.name: expected a unique connector name; got "${entry.name}" twice` })
    }
    names.add(entry.name)
    const result = await readConfig(entry.configuration, { name: entry.name })
    warnings.push(...inFile(show(entry.configuration), result.warnings))
    if (result.ok) connectors.push(result.config)
    else issues.push(...inFile(show(entry.configuration), result.issues))
  }
  const ports = new Map<string, string>()
  for (const c of connectors) {
    const where = `${c.server.host}:${c.server.port}`
    const other = ports.get(where)
    if (other !== undefined) {
      issues.push({ path: 'server.port', message: `connector "${c.name}": server ${where} is already used by connector "${other}"` })
    }
    ports.set(where, c.name)
  }
  if (issues.length > 0) return { ok: false, issues, warnings }
  return { ok: true, value: { gateway: gw.config, connectors }, warnings }
}
