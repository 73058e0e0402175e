/** `readConfig` / `readGatewayConfig`: read a JSON file, report syntax errors with line:column, validate. */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { findJsonSyntaxError } from './_json-syntax.ts'
import { ConfigError } from './errors.ts'
import type { GatewayConfig, RestConnectorConfig, ValidationResult } from './model.ts'
import { validateConfig } from './validate-config.ts'
import { validateGatewayConfig } from './validate-gateway-config.ts'

export interface ReadConfigOptions {
  /**
   * Connector name; wins over the file's `name`.
   * @default the file's `name`, else 'REST Connector'
   */
  name?: string
}

export interface ReadGatewayConfigOptions {
  /**
   * Environment for the `TB_GW_*` overrides.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>
}

type Parsed = { ok: true; json: unknown } | { ok: false; result: { ok: false; issues: [{ path: string; message: string }]; warnings: [] } }

async function readJson(path: string): Promise<Parsed> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error))
    throw new ConfigError('CONFIG_READ', `Cannot read config file ${path}: ${reason}`, { file: path, cause: error })
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  try {
    return { ok: true, json: JSON.parse(text) }
  } catch {
    const where = findJsonSyntaxError(text)
    const got = where === undefined ? 'invalid JSON' : `${where.reason} at ${where.line}:${where.column}`
    return { ok: false, result: { ok: false, issues: [{ path: '', message: `(root): expected valid JSON; got ${got}` }], warnings: [] } }
  }
}

/**
 * Reads and validates a rest.json. Relative paths in it resolve against the file's folder
 * (`config.configDir`). I/O errors throw `ConfigError` (code `CONFIG_READ`); a JSON syntax error is
 * an issue naming line:column. The file is never written.
 */
export async function readConfig(path: string, options: ReadConfigOptions = {}): Promise<ValidationResult<RestConnectorConfig>> {
  const file = resolve(path)
  const parsed = await readJson(file)
  if (!parsed.ok) return parsed.result
  return validateConfig(parsed.json, { ...options, configDir: dirname(file) })
}

/** Reads and validates a tb_gateway.json (with the `TB_GW_*` overrides); like `readConfig`. */
export async function readGatewayConfig(path: string, options: ReadGatewayConfigOptions = {}): Promise<ValidationResult<GatewayConfig>> {
  const file = resolve(path)
  const parsed = await readJson(file)
  if (!parsed.ok) return parsed.result
  return validateGatewayConfig(parsed.json, { ...options, configDir: dirname(file) })
}
