import { describe, expect, it } from 'vitest'
import { capString, escapeControl, prettyLine, sanitize } from './_log-values.ts'
import { createLogger, nextLogLevel, parseLogLevel, type LogFormat } from './logger.ts'

function capture(format: LogFormat, maxValueLength?: number) {
  const lines: string[] = []
  const logger = createLogger({ format, write: (l) => lines.push(l), ...(maxValueLength ? { maxValueLength } : {}) })
  return { logger, lines }
}

describe('logged values', () => {
  it('caps strings with a marker of what was cut', () => {
    expect(capString('abc', 5)).toBe('abc')
    expect(capString('a'.repeat(10), 4)).toBe('aaaa…[6 more chars cut]')
  })
  it("redacts secret keys at any depth, bounds arrays, objects and depth, renames pino's own keys", () => {
    const out = sanitize(
      { password: 'p', nested: { Authorization: 'Basic x', accessToken: 't', ok: 1 }, list: Array.from({ length: 60 }, (_, i) => i), msg: 'm', level: 'l' },
      16,
    ) as Record<string, unknown>
    expect(out.password).toBe('[redacted]')
    expect(out.nested).toEqual({ Authorization: '[redacted]', accessToken: '[redacted]', ok: 1 })
    expect((out.list as unknown[]).length).toBe(51)
    expect((out.list as unknown[])[50]).toBe('…[10 more items cut]')
    expect(out['data.msg']).toBe('m')
    expect(out['data.level']).toBe('l')
    const deep = sanitize({ a: { b: { c: { d: { e: { f: 1 } } } } } }) as Record<string, any>
    expect(deep.a.b.c.d.e).toBe('[too deep]')
    expect(sanitize({ e: Object.assign(new Error('boom'), { code: 'X' }) })).toEqual({ e: { name: 'Error', message: 'boom', code: 'X' } })
  })
  it('escapes control, C1 and bidi characters for readable lines', () => {
    expect(escapeControl('a\nb\r\tc\u001b[31m\u007f\u0085\u202e\u2028')).toBe('a\\nb\\r\\tc\\u001b[31m\\u007f\\u0085\\u202e\\u2028')
    expect(escapeControl('plain é ✓')).toBe('plain é ✓')
  })
  it('renders a pino JSON line as a readable line', () => {
    expect(prettyLine('{"level":"warn","time":"T","pid":1,"component":"c\\n","msg":"m\\u001b","k":"v\\u0085"}')).toBe('T WARN [c\\n] m\\u001b {"k":"v\\u0085"}')
  })
})

describe('createLogger', () => {
  it('writes one JSON object per line: level label, ISO time, component of the child, data then msg', () => {
    const { logger, lines } = capture('json')
    logger.child('rest:A').child('downlink').warn({ device: 'd\u001b', token: 'secret-value' }, 'hello\nworld')
    expect(lines).toHaveLength(1)
    const entry = JSON.parse(lines[0]!)
    expect(entry).toMatchObject({ level: 'warn', component: 'rest:A:downlink', msg: 'hello\nworld', device: 'd\u001b', token: '[redacted]' })
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(lines[0]).not.toContain('secret-value')
    expect(lines[0]).not.toContain('\n')
  })
  it('caps the message and every value', () => {
    const { logger, lines } = capture('json', 100)
    logger.error({ name: 'n'.repeat(500000) }, 'm'.repeat(500))
    expect(lines[0]!.length).toBeLessThan(400)
    expect(JSON.parse(lines[0]!).name).toBe('n'.repeat(100) + '…[499900 more chars cut]')
  })
  it('pretty lines escape values from outside so they cannot forge a line', () => {
    const { logger, lines } = capture('pretty')
    logger.child('x').info({ name: 'b\r\n' }, 'device "a\nFAKE ERROR line\u001b[2J"')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\S+ INFO \[x\] device "a\\nFAKE ERROR line\\u001b\[2J" \{"name":"b\\r\\n"\}$/)
  })
  it('changes the level at runtime for every child, and says so', () => {
    const { logger, lines } = capture('json')
    const child = logger.child('c')
    child.debug('hidden')
    logger.setLevel('debug', 'test')
    child.debug('shown')
    logger.setLevel('error')
    child.warn('hidden too')
    logger.notice('notice shows at every level but silent')
    logger.setLevel('silent')
    logger.notice('not at silent')
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['log level set to debug', 'shown', 'log level set to error', 'notice shows at every level but silent'])
    expect(logger.level()).toBe('silent')
  })
  it('parses and cycles level names', () => {
    expect(parseLogLevel('WARNING')).toBe('warn')
    expect(parseLogLevel(' debug ')).toBe('debug')
    expect(parseLogLevel('bogus')).toBeUndefined()
    expect(['debug', 'info', 'warn', 'error'].map((l) => nextLogLevel(l as never))).toEqual(['info', 'warn', 'error', 'debug'])
  })
})
