import { describe, expect, it } from 'vitest'
import { parseCommand, UsageError } from './args.ts'

describe('parseCommand', () => {
  it('runs the gateway with --config', () => {
    expect(parseCommand(['--config', 'tb.json'])).toEqual({ kind: 'run', config: 'tb.json', sandbox: false, sandboxHttpPort: 8080 })
    expect(parseCommand(['--config', 'tb.json', '--sandbox', '--sandbox-http-port', '0', '--log-level', 'debug'])).toEqual({
      kind: 'run',
      config: 'tb.json',
      sandbox: true,
      sandboxHttpPort: 0,
      logLevel: 'debug',
    })
    expect(parseCommand(['--config', 'tb.json', '--watch'])).toMatchObject({ kind: 'run', watch: true })
    expect(parseCommand(['--config', 'tb.json', '--flush-timeout', '0.5'])).toMatchObject({ kind: 'run', flushTimeoutMs: 500 })
    expect(parseCommand(['--config', 'tb.json', '--flush-timeout', '0'])).toMatchObject({ kind: 'run', flushTimeoutMs: 0 })
  })
  it('knows validate, sandbox, help and version', () => {
    expect(parseCommand(['validate', '-c', 'rest.json'])).toEqual({ kind: 'validate', config: 'rest.json' })
    expect(parseCommand(['sandbox', '--port', '0', '--token', 'a', '--token', 'b'])).toEqual({
      kind: 'sandbox',
      host: '127.0.0.1',
      port: 0,
      httpPort: 8080,
      tokens: ['a', 'b'],
    })
    expect(parseCommand(['--help'])).toEqual({ kind: 'help' })
    expect(parseCommand(['-v'])).toEqual({ kind: 'version' })
  })
  it('rejects bad usage with a clear message', () => {
    expect(() => parseCommand([])).toThrow(new UsageError('missing --config <tb_gateway.json>'))
    expect(() => parseCommand(['frobnicate'])).toThrow('unknown command "frobnicate"')
    expect(() => parseCommand(['sandbox', '--port', 'x'])).toThrow('--port: expected a port number 0-65535; got "x"')
    expect(() => parseCommand(['--config'])).toThrow(UsageError)
    expect(() => parseCommand(['--nope'])).toThrow(UsageError)
    for (const bad of ['soon', '', '7200'])
      expect(() => parseCommand(['--config', 'tb.json', '--flush-timeout', bad])).toThrow(
        `--flush-timeout: expected seconds 0-3600, e.g. 5 or 0.5; got "${bad}"`,
      )
  })
})
