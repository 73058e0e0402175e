/**
 * The gateway's logger: one pino logger for the whole process, JSON lines (for log shippers) or
 * readable lines (for a terminal), secrets redacted, every value capped, the level changeable at
 * runtime. Packages get it in pino's method shape (`warn({ fields }, 'message')`) through the small
 * wrapper below, which caps and escapes every value (`child(name)` adds a `component` binding).
 */
import { destination as pinoDestination, pino, stdTimeFunctions, type DestinationStream, type Logger as PinoLogger } from 'pino'
import type { LogFn, Logger } from '@restgate/core'
import { capString, escapeControl, MAX_VALUE_LENGTH, prettyLine, sanitize } from './_log-values.ts'

export { redact } from './_log-values.ts'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
export type LogFormat = 'json' | 'pretty'
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

export type { Logger }

/** A logger that can name sub-components (`rest:REST Connector`). */
export interface GatewayLogger extends Logger {
  child(name: string): GatewayLogger
}

/** The process's logger: its children share its level, which can change at runtime. */
export interface RootLogger extends GatewayLogger {
  readonly format: LogFormat
  level(): LogLevel
  /** Sets the level of this logger and every child; logs the change (unless `silent`). */
  setLevel(level: LogLevel, reason?: string): void
  /** An info line written at every level but `silent` (start-up and stop notices: where it listens, ...). */
  notice: LogFn
}

const ranks: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

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

/** Our level for an exact name (`debug`, `info`, `warning`, ...); undefined when it is none. */
export function parseLogLevel(name: string): LogLevel | undefined {
  const n = name.trim().toLowerCase()
  const known = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'critical', 'fatal', 'silent', 'none']
  return known.includes(n) ? toLogLevel(n) : undefined
}

export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel
  /** @default 'json' when the output is not a terminal (`process.stdout.isTTY`), else 'pretty' */
  format?: LogFormat
  /** Component name of the root (`component` in each line). @default none */
  name?: string
  /** Receives each line (without the newline). @default synchronous writes to stdout (fd 1) */
  write?: (line: string) => void
  /** Longest logged string value or message, in characters; longer ones are cut with a marker. @default 1024 */
  maxValueLength?: number
}

/** Creates the gateway logger (see the module comment). */
export function createLogger(options: LoggerOptions = {}): RootLogger {
  const format = options.format ?? (process.stdout.isTTY ? 'pretty' : 'json')
  const max = options.maxValueLength ?? MAX_VALUE_LENGTH
  let level: LogLevel = options.level ?? 'info'
  let min = ranks[level]
  const write = options.write
  let destination: DestinationStream
  if (format === 'pretty') {
    const out = write ?? ((line: string) => process.stdout.write(line + '\n'))
    destination = { write: (s: string) => out(prettyLine(s.endsWith('\n') ? s.slice(0, -1) : s)) }
  } else if (write) {
    destination = { write: (s: string) => write(s.endsWith('\n') ? s.slice(0, -1) : s) }
  } else {
    destination = pinoDestination({ fd: 1, sync: true })
  }
  // pino's own level stays at debug: the adapter filters with one comparison against the shared level
  const root = pino(
    {
      level: 'debug',
      base: format === 'json' ? { pid: process.pid } : undefined,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // values are already sanitized (errors as { name, message, code }); pino's err serializer would redo it
      serializers: { err: (v: unknown) => v },
    },
    destination,
  )
  type Level = Exclude<LogLevel, 'silent'>
  const make = (p: PinoLogger, component: string | undefined): GatewayLogger => {
    const emit = (lvl: Level, fields: Record<string, unknown> | string, msg?: string): void => {
      if (ranks[lvl] < min) return
      if (typeof fields === 'string') p[lvl](capString(fields, max))
      else p[lvl](sanitize(fields, max) as Record<string, unknown>, capString(String(msg ?? ''), max))
    }
    return {
      debug: (f: Record<string, unknown> | string, m?: string) => emit('debug', f, m),
      info: (f: Record<string, unknown> | string, m?: string) => emit('info', f, m),
      warn: (f: Record<string, unknown> | string, m?: string) => emit('warn', f, m),
      error: (f: Record<string, unknown> | string, m?: string) => emit('error', f, m),
      child(name: string) {
        const full = component ? `${component}:${name}` : name
        // children of the root, not nested: a nested pino child would write `component` twice
        return make(root.child({ component: capString(full, 256) }), full)
      },
    }
  }
  const top = make(options.name ? root.child({ component: options.name }) : root, options.name)
  return {
    ...top,
    format,
    level: () => level,
    notice(fields: Record<string, unknown> | string, msg?: string) {
      if (level === 'silent') return
      if (typeof fields === 'string') root.info(capString(fields, max))
      else root.info(sanitize(fields, max) as Record<string, unknown>, capString(String(msg ?? ''), max))
    },
    setLevel(next, reason) {
      const before = level
      level = next
      min = ranks[next]
      // said at info whatever the new level is, so the change itself is always on record
      if (next !== 'silent') root.info({ from: before, to: next, ...(reason ? { reason } : {}) }, `log level set to ${next}`)
    },
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

/** A readable-lines logger (`2026-11-25T18:00:00.000Z INFO [name] message {json}`), to stderr by default. */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): GatewayLogger {
  return createLogger({
    format: 'pretty',
    ...(options.level ? { level: options.level } : {}),
    ...(options.name ? { name: options.name } : {}),
    write: options.write ?? ((line: string) => process.stderr.write(line + '\n')),
  })
}

/** The next level SIGUSR2 switches to: debug → info → warn → error → debug. */
export function nextLogLevel(level: LogLevel): LogLevel {
  switch (level) {
    case 'debug':
      return 'info'
    case 'info':
      return 'warn'
    case 'warn':
      return 'error'
    default:
      return 'debug'
  }
}

export { escapeControl }
