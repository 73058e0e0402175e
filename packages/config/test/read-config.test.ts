import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/errors.ts'
import { readConfig, readGatewayConfig } from '../src/read-config.ts'
import { fixtures, valid } from './_helpers.ts'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restgate-config-'))
  await mkdir(join(dir, 'conf'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function write(name: string, content: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

describe('readConfig', () => {
  it('reads the docs example and sets configDir to the file folder', async () => {
    const config = valid(await readConfig(join(fixtures, 'docs-rest.json')))
    expect(config.configDir).toBe(fixtures.replace(/\/$/, ''))
    expect(config.mapping).toHaveLength(2)
  })

  it('resolves relative paths against the file folder, not the working directory', async () => {
    const path = await write(
      'conf/rest.json',
      JSON.stringify({
        server: { SSL: true, security: { cert: 'tls/cert.pem', key: '../keys/key.pem' } },
        mapping: [{ endpoint: '/a', converter: { deviceNameExpression: 'x', timeseries: [] } }],
        attributeUpdates: [{ requestUrlExpression: 'https://h.local/', valueExpression: '', security: { type: 'cert', cert: 'client.pem' } }],
      }),
    )
    const config = valid(await readConfig(path, { name: 'Named' }))
    expect(config.configDir).toBe(join(dir, 'conf'))
    expect(config.server.cert).toBe(join(dir, 'conf/tls/cert.pem'))
    expect(config.server.key).toBe(join(dir, 'keys/key.pem'))
    expect(config.attributeUpdates[0]?.security).toEqual({ type: 'cert', cert: join(dir, 'conf/client.pem') })
    expect(config.name).toBe('Named')
  })

  it('reports a JSON syntax error with line:column, without quoting the file', async () => {
    const path = await write('syntax.json', '{\n  "mapping": [],\n  "password": "s3cret",\n}\n')
    const result = await readConfig(path)
    expect(result.ok).toBe(false)
    expect(result.issues).toEqual([{ path: '', message: '(root): expected valid JSON; got trailing comma before "}" at 4:1' }])
  })

  it('accepts a UTF-8 byte order mark', async () => {
    const path = await write('bom.json', `\uFEFF${JSON.stringify({ mapping: [{ endpoint: '/a', converter: { deviceNameExpression: 'x', timeseries: [] } }] })}`)
    expect(valid(await readConfig(path)).mapping).toHaveLength(1)
  })

  it('throws CONFIG_READ for a missing file or a folder', async () => {
    const missing = join(dir, 'nope.json')
    await expect(readConfig(missing)).rejects.toSatisfy((e: unknown) => ConfigError.is(e) && e.code === 'CONFIG_READ' && e.file === missing)
    await expect(readConfig(missing)).rejects.toThrow(`Cannot read config file ${missing}: ENOENT`)
    await expect(readConfig(dir)).rejects.toThrow(/EISDIR/)
  })

  it('never writes the user file', async () => {
    const content = JSON.stringify({ mapping: [{ endpoint: '/a', converter: { deviceNameExpression: 'x', timeseries: [] } }] }, null, 4)
    const path = await write('untouched.json', content)
    const before = await stat(path)
    const listing = await readdir(dir)
    valid(await readConfig(path))
    expect(await readFile(path, 'utf8')).toBe(content)
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs)
    expect(await readdir(dir)).toEqual(listing)
  })
})

describe('readGatewayConfig', () => {
  it('resolves connectors and storage against the file folder and applies env', async () => {
    const path = await write(
      'conf/tb_gateway.json',
      JSON.stringify({
        thingsboard: { host: 'tb.local', security: { type: 'tlsAccessToken', accessToken: 't', caCert: 'ca.pem' } },
        storage: { type: 'sqlite', data_file_path: './db/' },
        connectors: [{ type: 'rest', name: 'REST', configuration: 'rest.json' }],
      }),
    )
    const config = valid(await readGatewayConfig(path, { env: { TB_GW_PORT: '8884' } }))
    expect(config.configDir).toBe(join(dir, 'conf'))
    expect(config.thingsboard).toMatchObject({ port: 8884, tls: true, security: { caCert: join(dir, 'conf/ca.pem') } })
    expect(config.storage.dataFilePath).toBe(`${join(dir, 'conf/db')}/`)
    expect(config.connectors[0]?.configuration).toBe(join(dir, 'conf/rest.json'))
  })

  it('reads the original tb_gateway.json', async () => {
    const config = valid(await readGatewayConfig(join(fixtures, 'original-tb_gateway.json'), { env: {} }))
    expect(config.thingsboard.host).toBe('thingsboard.cloud')
  })

  it('reports syntax errors and throws on I/O errors like readConfig', async () => {
    const path = await write('gw-bad.json', '{"thingsboard": {"host": "h",}}')
    expect((await readGatewayConfig(path, { env: {} })).issues).toEqual([
      { path: '', message: '(root): expected valid JSON; got trailing comma before "}" at 1:30' },
    ])
    await expect(readGatewayConfig(join(dir, 'missing.json'))).rejects.toSatisfy((e: unknown) => ConfigError.is(e) && e.code === 'CONFIG_READ')
  })
})
