/**
 * Configuration problems that only show when the gateway prepares its parts: an `extension` (custom
 * uplink or downlink converter) that cannot be found, loaded or used, an expression that does not
 * compile, an endpoint that clashes. `restgate validate` resolves every extension with
 * `checkExtensions`; `restgate run` prepares them before connecting to ThingsBoard, and both exit 2
 * on such a problem (`isConfigFailure` in config-failure.ts tells them from runtime failures).
 */
import { relative } from 'node:path'
import type { ConfigIssue, RestConnectorConfig } from '@restgate/config'
import { loadConverter, loadDownlinkBuilder } from '@restgate/converters'

const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** Loads every converter of the connectors (uplink and downlink); one issue per one that fails. */
export async function checkExtensions(connectors: readonly RestConnectorConfig[], cwd: string = process.cwd()): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = []
  for (const c of connectors) {
    const where = relative(cwd, c.configDir) || '.'
    const add = (path: string, error: unknown): void => {
      const message = error instanceof Error ? error.message : String(error)
      issues.push({ path, message: `connector "${c.name}" (${where}): ${message}` })
    }
    for (const m of c.mapping) {
      if (m.converter.extension === undefined && m.converter.type !== 'custom') continue
      try {
        await loadConverter(m.converter, { configDir: c.configDir, logger: silent })
      } catch (error) {
        add(`${m.converter.path}.extension`, error)
      }
    }
    for (const rule of [...c.attributeUpdates, ...c.serverSideRpc]) {
      if (rule.extension === undefined) continue
      try {
        await loadDownlinkBuilder(rule, { configDir: c.configDir, logger: silent })
      } catch (error) {
        add(`${rule.path}.extension`, error)
      }
    }
  }
  return issues
}
