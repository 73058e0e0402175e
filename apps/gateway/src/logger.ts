/** The gateway's logger: levelled, one line per event, secrets redacted. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void
  info(msg: string, data?: Record<string, unknown>): void
  warn(msg: string, data?: Record<string, unknown>): void
  error(msg: string, data?: Record<string, unknown>): void
}

/** A logger that can name sub-components (`gateway:rest:REST Connector`). */
export interface GatewayLogger extends Logger {
  child(name: string): GatewayLogger
}

const ranks: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

const SECRET_KEY = /pass(word)?|token|secret|authorization|private.?key|credential/i

/** Replaces values of secret-looking keys, recursively, so a caller's mistake cannot leak them. */
export function redact(data: unknown, depth = 0): unknown {
  if (depth > 4 || data === null || typeof data !== 'object') return data
  if (Array.isArray(data)) return data.map((v) => redact(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(data)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)
  return out
}

/** Maps the original's level names (`INFO`, `WARNING`, `TRACE`, ...) to ours. */
export function toLogLevel(name: string | undefined): LogLevel {
  switch ((name ?? '').toLowerCase()) {
    case 'trace':
    case 'debug':
      return 'debug'
    case 'warn':
    case 'warning':
      return 'warn'
    case 'error':
    case 'critical':
    case 'fatal':
      return 'error'
    case 'silent':
    case 'none':
      return 'silent'
    default:
      return 'info'
  }
}

export interface ConsoleLoggerOptions {
  /** @default 'info' */
  level?: LogLevel
  /** Prefix naming the component, e.g. `rest:REST Connector`. */
  name?: string
  /** Where lines go. @default process.stderr */
  write?: (line: string) => void
}

/** A logger writing `2026-11-25T18:00:00.000Z INFO [name] message {json}` lines. */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): GatewayLogger {
  const min = ranks[options.level ?? 'info']
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const make = (name: string | undefined): GatewayLogger => {
    const emit = (level: Exclude<LogLevel, 'silent'>, msg: string, data?: Record<string, unknown>): void => {
      if (ranks[level] < min) return
      const tag = name ? ` [${name}]` : ''
      const extra = data && Object.keys(data).length > 0 ? ' ' + safeJson(redact(data)) : ''
      write(`${new Date().toISOString()} ${level.toUpperCase()}${tag} ${msg}${extra}`)
    }
    return {
      debug: (m, d) => emit('debug', m, d),
      info: (m, d) => emit('info', m, d),
      warn: (m, d) => emit('warn', m, d),
      error: (m, d) => emit('error', m, d),
      child: (child: string) => make(name ? `${name}:${child}` : child),
    }
  }
  return make(options.name)
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v))
  } catch {
    return '"[unserialisable]"'
  }
}
