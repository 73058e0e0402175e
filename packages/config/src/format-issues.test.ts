import { describe, expect, it } from 'vitest'
import { ConfigError } from './errors.ts'
import { formatIssues, unwrapConfig } from './format-issues.ts'
import { validateConfig } from './validate-config.ts'

const broken = validateConfig({
  mapping: [{ endpoint: '/a', HTTPMethods: ['PSOT'], convertr: {}, converter: { deviceNameExpression: 'x', timeseries: [] } }],
})

describe('formatIssues', () => {
  it('prints a heading and one line per issue, errors first', () => {
    expect(formatIssues(broken, { file: 'rest.json' })).toBe(
      [
        'rest.json: 1 error, 1 warning',
        '  error:   mapping[0].HTTPMethods[0]: expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS; got "PSOT"',
        '  warning: mapping[0].convertr: unknown key; did you mean "converter"?',
      ].join('\n'),
    )
  })

  it('can leave warnings out, and is empty when there is nothing to say', () => {
    expect(formatIssues(broken, { warnings: false })).toBe(
      'config: 1 error\n  error:   mapping[0].HTTPMethods[0]: expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS; got "PSOT"',
    )
    expect(formatIssues({ issues: [], warnings: [] })).toBe('')
  })
})

describe('unwrapConfig', () => {
  it('returns the config of a valid result', () => {
    const result = validateConfig({ mapping: [{ endpoint: '/a', converter: { deviceNameExpression: 'x', timeseries: [] } }] })
    expect(unwrapConfig(result).mapping[0]?.endpoint).toBe('/a')
  })

  it('throws CONFIG_INVALID with the issues otherwise', () => {
    let thrown: unknown
    try {
      unwrapConfig(broken, { file: '/etc/gw/rest.json' })
    } catch (error) {
      thrown = error
    }
    expect(ConfigError.is(thrown)).toBe(true)
    const error = thrown as ConfigError
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.file).toBe('/etc/gw/rest.json')
    expect(error.issues.map((issue) => issue.path)).toEqual(['mapping[0].HTTPMethods[0]'])
    expect(error.message).toContain('mapping[0].HTTPMethods[0]: expected one of')
  })

  it('ConfigError.is recognises copies by name and code', () => {
    expect(ConfigError.is({ name: 'ConfigError', code: 'CONFIG_READ' })).toBe(true)
    expect(ConfigError.is({ name: 'Error', code: 'CONFIG_READ' })).toBe(false)
    expect(ConfigError.is(new Error('x'))).toBe(false)
  })
})
