/** The `restgate` command: `main(argv)` resolves to the process exit code. */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { ConfigError, formatIssues, readConfig, type ConfigIssue } from '@restgate/config'
import type { Sandbox, SandboxOptions } from '@restgate/sandbox'
import { parseCommand, usage, UsageError, type Command } from './args.ts'
import { createGateway } from './gateway.ts'
import { loadGatewayFiles } from './load-config.ts'
import { createConsoleLogger, toLogLevel } from './logger.ts'
import { createSandboxTry, runTryCommand } from './try.ts'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1'])

/** Prints every problem and warning of a config, one line each with its JSON path. */
function report(file: string, result: { issues: readonly ConfigIssue[]; warnings: readonly ConfigIssue[] }): void {
  const text = formatIssues(result, { file })
  if (text) process.stderr.write(text + '\n')
}

const exitNow = (): never => process.exit(130)

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
    process.stdout.write(`${file}: valid (${result.value.connectors.length} REST connector(s))\n`)
    return 0
  }
  const result = await readConfig(file)
  report(file, result)
  if (!result.ok) return 2
  process.stdout.write(`${file}: valid (${result.config.mapping.length} endpoint(s))\n`)
  return 0
}

/** The sandbox (aedes and its HTTP view) is loaded only when asked for: a real gateway never carries it. */
async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { createSandbox: create } = await import('@restgate/sandbox')
  return create(options)
}

async function runSandbox(cmd: Extract<Command, { kind: 'sandbox' }>): Promise<number> {
  const sandbox = await createSandbox({
    host: cmd.host,
    port: cmd.port,
    httpPort: cmd.httpPort,
    ...(cmd.tokens.length > 0 ? { accessToken: cmd.tokens } : {}),
    log: (line: string) => process.stdout.write(`[sandbox] ${line}\n`),
  })
  const { mqttUrl, httpUrl } = await sandbox.start()
  process.stdout.write(`sandbox: ThingsBoard Gateway API stand-in on ${mqttUrl}${httpUrl ? `, HTTP view on ${httpUrl}` : ''}\n`)
  await untilSignal()
  await sandbox.stop()
  return 0
}

async function run(cmd: Extract<Command, { kind: 'run' }>): Promise<number> {
  const loaded = await loadGatewayFiles(cmd.config)
  report(cmd.config, { issues: loaded.ok ? [] : loaded.issues, warnings: loaded.warnings })
  if (!loaded.ok) return 2
  const level = toLogLevel(cmd.logLevel ?? loaded.value.connectors[0]?.logLevel)
  const logger = createConsoleLogger({ level })
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
      log: (line: string) => process.stdout.write(`[sandbox] ${line}\n`),
    })
    const { mqttUrl, httpUrl } = await sandbox.start()
    process.stdout.write(`sandbox: ThingsBoard stand-in on ${mqttUrl}${httpUrl ? `; open ${httpUrl} to see what it received` : ''}\n`)
  }
  const gateway = createGateway({ config: loaded.value, logger })
  try {
    const { endpoints } = await gateway.start()
    for (const e of endpoints) process.stdout.write(`restgate: connector "${e.connector}" listening on ${e.url}\n`)
    process.stdout.write(`restgate: sending to ThingsBoard at ${tb.host}:${tb.port}; Ctrl+C to stop\n`)
  } catch (error) {
    logger.error(`cannot start: ${(error as Error).message}`)
    await sandbox?.stop()
    return 1
  }
  const signal = await untilSignal()
  logger.info(`${signal}: stopping (flushing the outbox for up to 5 s)`)
  await gateway.stop({ flushTimeoutMs: 5_000 })
  await sandbox?.stop()
  logger.info('stopped')
  return 0
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'try') return runTryCommand(argv.slice(1))
  let cmd: Command
  try {
    cmd = parseCommand(argv)
  } catch (error) {
    if (!UsageError.is(error)) throw error
    process.stderr.write(`restgate: ${error.message}\n\n${usage}\n`)
    return 2
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
