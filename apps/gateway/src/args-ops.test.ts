import { describe, expect, it } from 'vitest'
import { parseCommand } from './args.ts'

describe('--log-format and --admin', () => {
  it('parses both', () => {
    expect(parseCommand(['--config', 'tb.json', '--log-format', 'json', '--admin', '127.0.0.1:9100'])).toMatchObject({
      kind: 'run',
      logFormat: 'json',
      admin: { host: '127.0.0.1', port: 9100 },
    })
    expect(parseCommand(['--config', 'tb.json', '--admin', '[::1]:0'])).toMatchObject({ admin: { host: '::1', port: 0 } })
    expect(parseCommand(['--config', 'tb.json', '--admin', ':9100'])).toMatchObject({ admin: { host: '127.0.0.1', port: 9100 } })
  })
  it('rejects bad values with a clear message', () => {
    expect(() => parseCommand(['--config', 'tb.json', '--log-format', 'xml'])).toThrow('--log-format: expected json or pretty; got "xml"')
    expect(() => parseCommand(['--config', 'tb.json', '--admin', '9100'])).toThrow('--admin: expected <host>:<port>, e.g. 127.0.0.1:9100; got "9100"')
    expect(() => parseCommand(['--config', 'tb.json', '--admin', 'h:70000'])).toThrow('--admin: expected a port number 0-65535; got "70000"')
  })
})
