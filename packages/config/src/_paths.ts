/** File paths in configs: `~` expanded, relative paths resolved against the config folder. */
import { homedir } from 'node:os'
import { isAbsolute, resolve, sep } from 'node:path'

/**
 * Resolves a path from a config file: `~` / `~/x` → the home folder, relative → against `configDir`.
 * A trailing `/` (meaning "a folder") is kept.
 */
export function resolveConfigPath(configDir: string, path: string): string {
  let expanded = path
  if (path === '~') expanded = homedir()
  else if (path.startsWith('~/') || path.startsWith('~\\')) expanded = `${homedir()}${sep}${path.slice(2)}`
  const absolute = isAbsolute(expanded) ? resolve(expanded) : resolve(configDir, expanded)
  const wantsFolder = /[\\/]$/.test(path) && !absolute.endsWith(sep)
  return wantsFolder ? `${absolute}${sep}` : absolute
}
