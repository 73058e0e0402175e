/** Command-line parsing for `restgate`. */
import { parseArgs } from 'node:util'

export type Command =
  | { kind: 'run'; config: string; sandbox: boolean; sandboxHttpPort: number; logLevel?: string }
  | { kind: 'validate'; config: string }
  | { kind: 'sandbox'; host: string; port: number; httpPort: number; tokens: string[] }
  | { kind: 'help' }
  | { kind: 'version' }

export class UsageError extends Error {
  override readonly name = 'UsageError'
  readonly code = 'USAGE'
  static is(error: unknown): error is UsageError {
    return error instanceof Error && error.name === 'UsageError'
  }
}

export const usage = `restgate: the ThingsBoard REST connector, in TypeScript

Usage:
  restgate --config <tb_gateway.json> [--sandbox] [--log-level debug|info|warn|error]
      Start the gateway with every "rest" connector that tb_gateway.json lists.
      --sandbox            also start a local ThingsBoard stand-in (MQTT broker) at thingsboard.host:port
      --sandbox-http-port  port of the sandbox's HTTP view (default 8080, 0 = any free port)
  restgate validate --config <tb_gateway.json | rest.json>
      Check a config file and print every problem with its JSON path; exit 2 when invalid.
  restgate try --config <rest.json | tb_gateway.json> [--endpoint /path] [--method POST] [--header 'K: V']...
               [--data '<body>' | --data @file] [--query 'a=1&b=2'] [--json]
      Dry run of one request through the mapping (no broker): the endpoint, the answer, the records,
      the dropped datapoints and the messages ThingsBoard would get; exit 1 when it would be refused.
      restgate try --help for details.
  restgate sandbox [--port 1883] [--http-port 8080] [--token <accessToken>]...
      Run only the sandbox: a local stand-in for ThingsBoard's Gateway API.
  restgate --help | --version

Exit codes: 0 ok, 1 runtime failure, 2 invalid config or usage.`

function toPort(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag}: expected a port number 0-65535; got "${value}"`)
  return n
}

export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv
  const sub = first && !first.startsWith('-') ? first : undefined
  const args = sub ? rest : [...argv]
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        sandbox: { type: 'boolean', default: false },
        'sandbox-http-port': { type: 'string' },
        'log-level': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'http-port': { type: 'string' },
        token: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const v = parsed.values
  if (v.help) return { kind: 'help' }
  if (v.version) return { kind: 'version' }
  switch (sub) {
    case undefined:
    case 'run':
    case 'start':
      if (!v.config) throw new UsageError('missing --config <tb_gateway.json>')
      return {
        kind: 'run',
        config: v.config,
        sandbox: v.sandbox ?? false,
        sandboxHttpPort: toPort(v['sandbox-http-port'], 8080, '--sandbox-http-port'),
        ...(v['log-level'] ? { logLevel: v['log-level'] } : {}),
      }
    case 'validate':
      if (!v.config) throw new UsageError('missing --config <file>')
      return { kind: 'validate', config: v.config }
    case 'sandbox':
      return {
        kind: 'sandbox',
        host: v.host ?? '127.0.0.1',
        port: toPort(v.port, 1883, '--port'),
        httpPort: toPort(v['http-port'], 8080, '--http-port'),
        tokens: v.token ?? [],
      }
    default:
      throw new UsageError(`unknown command "${sub}"`)
  }
}
