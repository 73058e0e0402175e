/** The `restgate` command: `main(argv)` resolves to the process exit code. */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { ConfigError, formatIssues, readConfig, type ConfigIssue } from '@restgate/config'
import type { Sandbox, SandboxOptions } from '@restgate/sandbox'
import { parseCommand, usage, UsageError, type Command } from './args.ts'
import { applyHeapGrowth, heapGrowthOf } from './heap.ts'
import type { Gateway } from './gateway.ts'
import { loadGatewayFiles } from './load-config.ts'
import { stopMessage } from './stop-message.ts'
import type { AdminServer } from './admin.ts'
import type { LogFormat, RootLogger } from './logger.ts'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1'])
/** How long a stop waits for ThingsBoard to confirm the outbox, unless `--flush-timeout` says otherwise (systemd's TimeoutStopSec is above it). */
const FLUSH_TIMEOUT_MS = 5_000

/** Prints every problem and warning of a config, one line each with its JSON path. */
function report(file: string, result: { issues: readonly ConfigIssue[]; warnings: readonly ConfigIssue[] }): void {
  const text = formatIssues(result, { file })
  if (text) process.stderr.write(text + '\n')
}

const exitNow = (): never => process.exit(130)

/** `--log-format`, else `$RESTGATE_LOG_FORMAT`, else automatic (json unless stdout is a terminal). */
function logFormatOf(flag: LogFormat | undefined): LogFormat | undefined {
  const value = flag ?? process.env.RESTGATE_LOG_FORMAT
  if (value === undefined || value === '') return undefined
  if (value === 'json' || value === 'pretty') return value
  throw new UsageError(`RESTGATE_LOG_FORMAT: expected json or pretty; got "${value}"`)
}

/** SIGUSR2 switches the log level debug → info → warn → error → debug; returns the unsubscribe. */
async function levelOnSignal(logger: RootLogger): Promise<() => void> {
  const { nextLogLevel } = await import('./logger.ts')
  const onSignal = (): void => logger.setLevel(nextLogLevel(logger.level()), 'SIGUSR2')
  process.on('SIGUSR2', onSignal)
  return () => process.off('SIGUSR2', onSignal)
}

/** Resolves once SIGINT or SIGTERM arrives; a second signal exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.once('SIGINT', exitNow)
      process.once('SIGTERM', exitNow)
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

async function validate(file: string): Promise<number> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`)
    return 2
  }
  const isGateway = /"(thingsboard|connectors)"\s*:/.test(text)
  if (isGateway) {
    const result = await loadGatewayFiles(file)
    report(file, { issues: result.ok ? [] : result.issues, warnings: result.warnings })
    if (!result.ok) return 2
    // extensions (custom converters) are resolved and loaded too: a config naming one that is not there is invalid
    const { checkExtensions } = await import('./check-extensions.ts')
    const unloadable = await checkExtensions(result.value.connectors)
    if (unloadable.length > 0) {
      report(file, { issues: unloadable, warnings: [] })
      return 2
    }
    process.stdout.write(`${file}: valid (${result.value.connectors.length} REST connector(s))\n`)
    return 0
  }
  const result = await readConfig(file)
  report(file, result)
  if (!result.ok) return 2
  const { checkExtensions } = await import('./check-extensions.ts')
  const unloadable = await checkExtensions([result.config])
  if (unloadable.length > 0) {
    report(file, { issues: unloadable, warnings: [] })
    return 2
  }
  process.stdout.write(`${file}: valid (${result.config.mapping.length} endpoint(s))\n`)
  return 0
}

/** The sandbox (aedes and its HTTP view) is loaded only when asked for: a real gateway never carries it. */
async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { createSandbox: create } = await import('@restgate/sandbox')
  return create(options)
}

/** Starts the sandbox; a port in use (or any listen failure) is one line on stderr and `undefined` (exit 2). */
async function startSandbox(sandbox: Sandbox): Promise<{ mqttUrl: string; httpUrl?: string | undefined } | undefined> {
  try {
    return await sandbox.start()
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause
    const inUse = cause?.code === 'EADDRINUSE' ? ' (the port is in use: stop what listens there or choose another port)' : ''
    process.stderr.write(`restgate: ${(error as Error).message}${inUse}\n`)
    await sandbox.stop().catch(() => {})
    return undefined
  }
}

/** The `--log-level` names: ours and the original's (`TRACE`, `WARNING`, `CRITICAL`, ...), any case. */
const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'critical', 'fatal', 'silent', 'none']

async function runSandbox(cmd: Extract<Command, { kind: 'sandbox' }>): Promise<number> {
  // pino (and prom-client, for the admin endpoint) load only for the commands that use them
  const { createLogger } = await import('./logger.ts')
  const logger = createLogger({ level: 'info', format: logFormatOf(undefined) })
  const sandboxLog = logger.child('sandbox')
  const sandbox = await createSandbox({
    host: cmd.host,
    port: cmd.port,
    httpPort: cmd.httpPort,
    ...(cmd.tokens.length > 0 ? { accessToken: cmd.tokens } : {}),
    log: (line: string) => sandboxLog.info(line),
  })
  const started = await startSandbox(sandbox)
  if (started === undefined) return 2
  const { mqttUrl, httpUrl } = started
  logger.notice(
    { mqttUrl, ...(httpUrl ? { httpUrl } : {}) },
    `sandbox: ThingsBoard Gateway API stand-in on ${mqttUrl}${httpUrl ? `, HTTP view on ${httpUrl}` : ''}`,
  )
  await untilSignal()
  await sandbox.stop()
  return 0
}

async function run(cmd: Extract<Command, { kind: 'run' }>): Promise<number> {
  if (cmd.logLevel !== undefined && !LOG_LEVEL_NAMES.includes(cmd.logLevel.toLowerCase())) {
    process.stderr.write(
      `restgate: --log-level: expected one of debug, info, warn, error, silent (or the original's TRACE, WARNING, CRITICAL, FATAL, NONE); got "${cmd.logLevel}"\n`,
    )
    return 2
  }
  const heapGrowth = heapGrowthOf(cmd.heapGrowth, process.env.RESTGATE_HEAP_GROWTH)
  if (heapGrowth instanceof Error) {
    process.stderr.write(`restgate: ${heapGrowth.message}\n`)
    return 2
  }
  applyHeapGrowth(heapGrowth)
  // the running gateway's modules load here, not at start: `--version`, `validate`, `try` and the
  // usage errors start without MQTT, HTTP server, dispatcher and storage code (~0.3 s of CPU less)
  const { holdSighup, startReloadTriggers } = await import('./reload-trigger.ts')
  const sighup = holdSighup()
  const loaded = await loadGatewayFiles(cmd.config)
  report(cmd.config, { issues: loaded.ok ? [] : loaded.issues, warnings: loaded.warnings })
  if (!loaded.ok) return 2
  // after the config is read: an invalid or missing config exits without loading them
  const [{ createGateway }, { startStatistics }, { createSandboxTry }, { isConfigFailure }] = await Promise.all([
    import('./gateway.ts'),
    import('./statistics.ts'),
    import('./try.ts'),
    import('./config-failure.ts'),
  ])
  const { createLogger, toLogLevel } = await import('./logger.ts')
  const level = toLogLevel(cmd.logLevel ?? loaded.value.connectors[0]?.logLevel)
  const logger = createLogger({ level, format: logFormatOf(cmd.logFormat) })
  const sandboxLog = logger.child('sandbox')
  let sandbox: Sandbox | undefined
  const tb = loaded.value.gateway.thingsboard
  if (cmd.sandbox) {
    if (!LOOPBACK.has(tb.host)) {
      process.stderr.write(`--sandbox: thingsboard.host must be a loopback address to start a sandbox there; got "${tb.host}"\n`)
      return 2
    }
    const token = 'accessToken' in tb.security ? tb.security.accessToken : undefined
    sandbox = await createSandbox({
      host: tb.host,
      port: tb.port,
      httpPort: cmd.sandboxHttpPort,
      ...(token ? { accessToken: token } : {}),
      try: createSandboxTry(loaded.value),
      log: (line: string) => sandboxLog.info(line),
    })
    const started = await startSandbox(sandbox)
    if (started === undefined) return 2
    const { mqttUrl, httpUrl } = started
    logger.notice({ mqttUrl }, `sandbox: ThingsBoard stand-in on ${mqttUrl}${httpUrl ? `; open ${httpUrl} to see what it received` : ''}`)
  }
  const adminConfig = cmd.admin ?? (loaded.value.gateway.admin?.enable ? loaded.value.gateway.admin : undefined)
  let admin: AdminServer | undefined
  if (adminConfig !== undefined) {
    const graceSeconds = loaded.value.gateway.admin?.readyGraceSeconds
    const { createAdminServer } = await import('./admin.ts')
    admin = createAdminServer({
      host: adminConfig.host,
      port: adminConfig.port,
      logger,
      ...(graceSeconds !== undefined ? { readyGraceMs: graceSeconds * 1000 } : {}),
    })
  }
  let gateway: Gateway
  try {
    gateway = createGateway({ config: loaded.value, logger, ...(admin ? { observer: admin.metrics.observer } : {}) })
  } catch (error) {
    if (!isConfigFailure(error)) throw error
    process.stderr.write(`restgate: ${cmd.config}: ${(error as Error).message}\n`)
    await sandbox?.stop()
    return 2
  }
  admin?.attach(gateway)
  const offSignal = await levelOnSignal(logger)
  try {
    if (admin) {
      const { url } = await admin.listen()
      logger.notice({ url }, `admin endpoint on ${url} (/healthz, /readyz, /metrics, /loglevel)`)
    }
    // converters and extensions are loaded before anything connects: a config naming one that
    // cannot be loaded stops here with exit 2, ThingsBoard never sees this gateway
    const { endpoints } = await gateway.start()
    for (const e of endpoints) logger.notice({ connector: e.connector, url: e.url }, `connector "${e.connector}" listening on ${e.url}`)
    logger.notice(`sending to ThingsBoard at ${tb.host}:${tb.port}; Ctrl+C to stop`)
  } catch (error) {
    offSignal()
    await admin?.close()
    await sandbox?.stop()
    if (isConfigFailure(error)) {
      process.stderr.write(`restgate: ${cmd.config}: ${(error as Error).message}\n`)
      return 2
    }
    logger.error(`cannot start: ${(error as Error).message}`)
    return 1
  }
  const stats = loaded.value.gateway.statistics
  const statistics = stats?.enable ? startStatistics(gateway, { periodSeconds: stats.statsSendPeriodInSeconds, logger: logger.child('statistics') }) : undefined
  const reloads = startReloadTriggers({ file: cmd.config, gateway, logger, loaded: loaded.value, watch: cmd.watch ?? false, sighup })
  const signal = await untilSignal()
  await reloads.close()
  const st = gateway.tb.stats()
  const said = stopMessage({
    signal,
    connected: st.connected,
    undelivered: st.queued + st.inFlight,
    storage: loaded.value.gateway.storage.type,
    flushTimeoutMs: cmd.flushTimeoutMs ?? FLUSH_TIMEOUT_MS,
  })
  logger[said.level](said.message)
  statistics?.stop()
  await gateway.stop({ flushTimeoutMs: cmd.flushTimeoutMs ?? FLUSH_TIMEOUT_MS })
  await admin?.close()
  offSignal()
  await sandbox?.stop()
  logger.notice('stopped')
  return 0
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'try') return (await import('./try.ts')).runTryCommand(argv.slice(1))
  let cmd: Command
  try {
    cmd = parseCommand(argv)
  } catch (error) {
    if (!UsageError.is(error)) throw error
    process.stderr.write(`restgate: ${error.message}\n\n${usage}\n`)
    return 2
  }
  if (cmd.kind === 'run' || cmd.kind === 'sandbox') {
    try {
      logFormatOf(cmd.kind === 'run' ? cmd.logFormat : undefined)
    } catch (error) {
      process.stderr.write(`restgate: ${(error as Error).message}\n`)
      return 2
    }
  }
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(usage + '\n')
      return 0
    case 'version': {
      const pkg = createRequire(import.meta.url)('../package.json') as { version: string }
      process.stdout.write(`restgate ${pkg.version}\n`)
      return 0
    }
    case 'sandbox':
      return runSandbox(cmd)
    case 'validate':
    case 'run':
      try {
        return await (cmd.kind === 'run' ? run(cmd) : validate(cmd.config))
      } catch (error) {
        if (!ConfigError.is(error)) throw error
        process.stderr.write(`restgate: ${error.message}\n`)
        return 2
      }
  }
}
