import { homedir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveConfigPath } from './_paths.ts'

describe('resolveConfigPath', () => {
  it('resolves relative paths against the config folder', () => {
    expect(resolveConfigPath('/etc/gw', 'certs/a.pem')).toBe('/etc/gw/certs/a.pem')
    expect(resolveConfigPath('/etc/gw', '../a.pem')).toBe('/etc/a.pem')
  })

  it('keeps absolute paths and expands ~', () => {
    expect(resolveConfigPath('/etc/gw', '/opt/a.pem')).toBe('/opt/a.pem')
    expect(resolveConfigPath('/etc/gw', '~/ssl/a.pem')).toBe(join(homedir(), 'ssl/a.pem'))
    expect(resolveConfigPath('/etc/gw', '~')).toBe(homedir())
  })

  it('keeps a trailing slash (a folder)', () => {
    expect(resolveConfigPath('/etc/gw', './data/')).toBe('/etc/gw/data/')
    expect(resolveConfigPath('/etc/gw', './data')).toBe('/etc/gw/data')
  })
})
