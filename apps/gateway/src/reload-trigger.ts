/**
 * What starts a hot reload in the CLI: SIGHUP, and with `--watch` a change of tb_gateway.json or of
 * a connector file it lists. The folders are watched, not the files, so an editor that saves by
 * writing a new file and renaming it over the old one is seen too (a watch on the file itself would
 * follow the replaced inode and go silent). Changes are debounced; triggers arriving while a reload
 * runs start one more reload after it. Each reload re-reads and validates every file, logs the
 * problems exactly as `restgate validate` words them and keeps the running config when invalid.
 */
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import type { Gateway } from './gateway.ts'
import { loadGatewayFiles, type LoadedGateway } from './load-config.ts'
import type { Logger } from './logger.ts'

export interface ReloadTriggerOptions {
  /** tb_gateway.json, as given on the command line. */
  file: string
  gateway: Gateway
  logger: Logger
  /** The config the gateway started with (its connector files are watched). */
  loaded: LoadedGateway
  /** Watch the files. @default false */
  watch?: boolean
  /** Quiet time after the last file event before reloading (ms). @default 250 */
  debounceMs?: number
  /** Where SIGHUP comes from: the hook of `holdSighup()` (held since start-up). @default its own `process.on('SIGHUP')` */
  sighup?: SighupHook
}

export interface ReloadTrigger {
  /** Reloads now (what SIGHUP does); resolves when that reload is done. */
  reload(reason: string): Promise<void>
  /** Closes the watchers and waits for a running reload; a later SIGHUP is ignored (not the default: exit). */
  close(): Promise<void>
}

export interface SighupHook {
  /** From now on SIGHUP calls `handler`; one that arrived before is delivered at once. */
  route(handler: () => void): void
}

/**
 * Takes SIGHUP from now on (instead of Node's default: exit), remembering one that arrives before
 * a handler is routed. One listener for the life of the process: removing a signal listener and
 * adding another can drop a signal that arrived in between.
 */
export function holdSighup(): SighupHook {
  let handler: (() => void) | undefined
  let seen = false
  process.on('SIGHUP', () => {
    if (handler) handler()
    else seen = true
  })
  return {
    route(next) {
      handler = next
      if (seen) next()
      seen = false
    },
  }
}

const filesOf = (file: string, loaded: LoadedGateway): Set<string> =>
  new Set([resolve(file), ...loaded.gateway.connectors.map((c) => resolve(c.configuration))])

export function startReloadTriggers(options: ReloadTriggerOptions): ReloadTrigger {
  const { file, gateway, logger } = options
  const debounceMs = options.debounceMs ?? 250
  let files = filesOf(file, options.loaded)
  const watchers = new Map<string, FSWatcher>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again: string | undefined
  let closed = false
  const isClosed = (): boolean => closed

  async function once(reason: string): Promise<void> {
    logger.info(`reload (${reason}): reading ${file}`)
    const loaded = await loadGatewayFiles(file)
    if (!loaded.ok) {
      logger.error(`reload (${reason}) refused: the new config has ${loaded.issues.length} error(s); the running config keeps serving`)
      for (const issue of loaded.issues) logger.error(issue.message)
      for (const warning of loaded.warnings) logger.warn(warning.message)
      return
    }
    for (const warning of loaded.warnings) logger.warn(warning.message)
    files = filesOf(file, loaded.value)
    if (options.watch) rewatch()
    const report = await gateway.reload(loaded.value)
    const changes = report.applied.length + report.restartNeeded.length
    logger.info(
      `reload (${reason}): ${report.applied.length > 0 ? `applied ${report.applied.length} change(s)` : changes > 0 ? 'nothing applied' : 'no change'}`,
    )
    for (const line of report.applied) logger.info(`reload: ${line}`)
    for (const line of report.restartNeeded) logger.warn(`reload: ${line}`)
    for (const line of report.failed) logger.error(`reload: ${line}`)
  }

  function reload(reason: string): Promise<void> {
    if (closed) return Promise.resolve()
    if (running) {
      again = reason
      return running
    }
    running = (async () => {
      let next: string | undefined = reason
      // `again` and `closed` change while `once()` awaits
      while (next !== undefined && !isClosed()) {
        again = undefined
        try {
          await once(next)
        } catch (error) {
          logger.error(`reload (${next}) refused: ${(error as Error).message}; the running config keeps serving`)
        }
        next = again
      }
    })().finally(() => (running = undefined))
    return running
  }

  function schedule(): void {
    clearTimeout(timer)
    timer = setTimeout(() => void reload('file changed'), debounceMs)
  }

  /** One watcher per folder holding a watched file; events for other names are ignored. */
  function rewatch(): void {
    const dirs = new Set([...files].map((f) => dirname(f)))
    for (const [dir, watcher] of watchers) {
      if (dirs.has(dir)) continue
      watcher.close()
      watchers.delete(dir)
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || files.has(resolve(dir, basename(name)))) schedule()
        })
        watcher.on('error', (error) => logger.warn(`--watch: stopped watching ${dir}: ${error.message}`))
        watchers.set(dir, watcher)
      } catch (error) {
        logger.warn(`--watch: cannot watch ${dir}: ${(error as Error).message}`)
      }
    }
  }

  const onHup = (): void => void reload('SIGHUP')
  if (options.sighup) options.sighup.route(onHup)
  else process.on('SIGHUP', onHup)
  if (options.watch) rewatch()
  logger.info(`reloads the config on SIGHUP${options.watch ? ` and when ${[...files].map((f) => basename(f)).join(', ')} change` : ''}`)

  return {
    reload,
    async close() {
      closed = true
      clearTimeout(timer)
      for (const w of watchers.values()) w.close()
      watchers.clear()
      await running
    },
  }
}
