/** Command-line parsing for `restgate`. */
import { parseArgs } from 'node:util'
import { RestgateError } from '@restgate/core'

export type Command =
  | {
      kind: 'run'
      config: string
      sandbox: boolean
      sandboxHttpPort: number
      logLevel?: string
      logFormat?: 'json' | 'pretty'
      admin?: { host: string; port: number }
      watch?: boolean
      /** `--heap-growth` as given (checked with `$RESTGATE_HEAP_GROWTH` by `heapGrowthOf`). */
      heapGrowth?: string
      /** `--flush-timeout`: how long a stop waits for ThingsBoard to confirm the outbox, in ms. */
      flushTimeoutMs?: number
    }
  | { kind: 'validate'; config: string }
  | { kind: 'sandbox'; host: string; port: number; httpPort: number; tokens: string[] }
  | { kind: 'help' }
  | { kind: 'version' }

/** A command line restgate cannot run: the message says what is wrong; exit code 2. */
export class UsageError extends RestgateError<'USAGE'> {
  constructor(message: string) {
    super('USAGE', message)
  }
}

export const usage = `restgate: the ThingsBoard REST connector, in TypeScript

Usage:
  restgate --config <tb_gateway.json> [--sandbox] [--log-level debug|info|warn|error] [--log-format json|pretty] [--admin host:port] [--watch]
      Start the gateway with every "rest" connector that tb_gateway.json lists.
      --sandbox            also start a local ThingsBoard stand-in (MQTT broker) at thingsboard.host:port
      --sandbox-http-port  port of the sandbox's HTTP view (default 8080, 0 = any free port)
      --log-format         json (one JSON object per line) or pretty (readable lines); default json
                           when stdout is not a terminal, else pretty (also $RESTGATE_LOG_FORMAT)
      --admin <host:port>  serve /healthz, /readyz, /metrics and PUT /loglevel there (overrides
                           tb_gateway.json's "admin" section)
      --watch              reload when tb_gateway.json or a connector file changes (SIGHUP always reloads)
      --heap-growth <pct>  how far the heap may grow with garbage before a full collection, in % of
                           the live heap; default 25, 0 = V8's own policy (also $RESTGATE_HEAP_GROWTH)
      --flush-timeout <s>  on SIGINT/SIGTERM, wait up to this many seconds (default 5, 0 = none) for
                           ThingsBoard to confirm the outbox before disconnecting
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

/** Seconds (decimals allowed) → ms. */
function toSeconds(value: string, flag: string): number {
  const s = Number(value)
  if (value.trim() === '' || !Number.isFinite(s) || s < 0 || s > 3600) throw new UsageError(`${flag}: expected seconds 0-3600, e.g. 5 or 0.5; got "${value}"`)
  return Math.round(s * 1000)
}

function toLogFormat(value: string): 'json' | 'pretty' {
  if (value === 'json' || value === 'pretty') return value
  throw new UsageError(`--log-format: expected json or pretty; got "${value}"`)
}

/** `host:port`, `[::1]:port` or `:port` (127.0.0.1). */
function toHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value)
  if (!m) throw new UsageError(`${flag}: expected <host>:<port>, e.g. 127.0.0.1:9100; got "${value}"`)
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port: toPort(m[3], 0, flag) }
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
        'log-format': { type: 'string' },
        admin: { type: 'string' },
        watch: { type: 'boolean', default: false },
        'heap-growth': { type: 'string' },
        'flush-timeout': { type: 'string' },
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
        ...(v['log-format'] ? { logFormat: toLogFormat(v['log-format']) } : {}),
        ...(v.admin ? { admin: toHostPort(v.admin, '--admin') } : {}),
        ...(v.watch ? { watch: true } : {}),
        ...(v['heap-growth'] !== undefined ? { heapGrowth: v['heap-growth'] } : {}),
        ...(v['flush-timeout'] === undefined ? {} : { flushTimeoutMs: toSeconds(v['flush-timeout'], '--flush-timeout') }),
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
