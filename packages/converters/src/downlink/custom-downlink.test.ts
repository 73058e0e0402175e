import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConverterError } from '../errors.ts'
import { attributeUpdateRule, rpcRule } from './_test-rules.ts'
import { defineDownlinkConverter, isDownlinkConverterFactory, pickDownlinkExport, toOutboundRequest } from './custom-downlink.ts'
import { downlinkFailureOf } from './downlink-error.ts'
import { loadDownlinkBuilder } from './load-downlink-builder.ts'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restgate-downlink-'))
  await mkdir(join(dir, 'extensions', 'rest'), { recursive: true })
  // original style: a bare name found in extensions/rest/, one module for up- and downlink
  await writeFile(
    join(dir, 'extensions', 'rest', 'CustomConverter.mjs'),
    `export default function uplink() { return { convert() { return [] } } }
     export const downlink = (rule, ctx) => ({
       convert(event) {
         if (event.type === 'rpc') return { url: 'http://127.0.0.1:5001/rpc/' + encodeURIComponent(event.device), method: 'put', body: { id: event.data.id, p: event.data.params, opt: ctx.extensionConfig.opt } }
         return { url: 'http://127.0.0.1:5001/attr', headers: { 'X-Key': event.key }, body: event.key + '=' + event.value }
       },
     })`,
  )
  await writeFile(
    join(dir, 'class-conv.mjs'),
    `export default class Conv { constructor(rule) { this.rule = rule } convert(event) { return { url: 'http://h/' + this.rule.path } } }`,
  )
  await writeFile(
    join(dir, 'bad-output.mjs'),
    `export const downlink = { convert(event) { return event.type === 'rpc' ? { url: '/relative' } : { method: 'GET' } } }`,
  )
  await writeFile(join(dir, 'throws.mjs'), `export const downlink = { convert() { throw new Error('boom') } }`)
  await writeFile(join(dir, 'factory-throws.mjs'), `export const downlink = () => { throw new Error('no config') }`)
  await writeFile(join(dir, 'factory-returns-nothing.mjs'), `export const downlink = () => 42`)
  await writeFile(join(dir, 'no-exports.mjs'), `export const something = 1`)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('custom downlink converters', () => {
  it('defineDownlinkConverter returns the factory, branded', () => {
    const factory = defineDownlinkConverter(() => ({ convert: () => ({ url: 'http://h/' }) }))
    expect(isDownlinkConverterFactory(factory)).toBe(true)
    expect(isDownlinkConverterFactory(() => ({}))).toBe(false)
    expect(pickDownlinkExport({ default: () => ({}), converter: factory })).toBe(factory)
  })

  it('loads a bare name from extensions/rest/ and uses its downlink export (attribute update)', async () => {
    const rule = attributeUpdateRule({ requestUrlExpression: 'http://unused/', extension: 'CustomConverter', httpHeaders: { Accept: 'text/plain' } })
    const build = await loadDownlinkBuilder(rule, { configDir: dir, logger: silent })
    expect(await build({ type: 'attributeUpdate', device: 'SN-1', key: 'fw', value: '1.2', data: { fw: '1.2' } })).toEqual({
      url: 'http://127.0.0.1:5001/attr',
      method: 'POST',
      headers: { accept: 'text/plain', 'x-key': 'fw' },
      body: 'fw=1.2',
    })
  })

  it('an object body is JSON-encoded with a JSON content type; method is upper-cased; ctx has extensionConfig', async () => {
    const rule = rpcRule({ requestUrlExpression: 'http://unused/', extension: 'CustomConverter', extensionConfig: { opt: 'o' } })
    const build = await loadDownlinkBuilder(rule, { configDir: dir })
    expect(await build({ type: 'rpc', device: 'Dev 1', data: { id: 7, method: 'm', params: { a: 1 } } })).toEqual({
      url: 'http://127.0.0.1:5001/rpc/Dev%201',
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"id":7,"p":{"a":1},"opt":"o"}',
    })
  })

  it('a class export is constructed with (rule, ctx)', async () => {
    const rule = rpcRule({ requestUrlExpression: 'http://unused/', extension: './class-conv.mjs', path: 'serverSideRpc[2]' })
    const build = await loadDownlinkBuilder(rule, { configDir: dir, logger: silent })
    expect((await build({ type: 'rpc', device: 'd', data: { id: 1, method: 'm' } })).url).toBe('http://h/serverSideRpc[2]')
  })

  it('output is validated with clear errors', async () => {
    const rule = rpcRule({ requestUrlExpression: 'http://unused/', extension: './bad-output.mjs', path: 'serverSideRpc[4]' })
    const build = await loadDownlinkBuilder(rule, { configDir: dir, logger: silent })
    await expect(build({ type: 'rpc', device: 'd', data: { id: 1, method: 'm' } })).rejects.toThrow(
      'serverSideRpc[4]: requestUrlExpression "/relative" has no scheme and host',
    )
    await expect(build({ type: 'attributeUpdate', device: 'd', key: 'k', value: 1, data: {} })).rejects.toThrow(
      'serverSideRpc[4].extension: the custom downlink converter returned url undefined (must be a non-empty string); expected { url, method?, headers?, body? }',
    )
  })

  it('a converter that throws → DOWNLINK_CONVERTER_FAILED with the cause', async () => {
    const build = await loadDownlinkBuilder(rpcRule({ requestUrlExpression: 'http://u/', extension: './throws.mjs' }), { configDir: dir, logger: silent })
    const e = await Promise.resolve()
      .then(() => build({ type: 'rpc', device: 'd', data: { id: 1, method: 'm' } }))
      .then(
        () => undefined,
        (err: unknown) => err,
      )
    expect(downlinkFailureOf(e)).toBe('DOWNLINK_CONVERTER_FAILED')
    expect((e as Error).message).toBe('serverSideRpc[0].extension: the custom downlink converter failed: boom')
    expect(((e as Error).cause as Error).message).toBe('boom')
  })

  it('load errors: not found (CONVERTER_LOAD, where it looked), no export / bad factory (CONVERTER_SHAPE), factory throws (CONVERTER_LOAD)', async () => {
    const load = (extension: string): Promise<unknown> =>
      loadDownlinkBuilder(rpcRule({ requestUrlExpression: 'http://u/', extension }), { configDir: dir, logger: silent }).then(
        () => undefined,
        (e: unknown) => e,
      )
    const missing = await load('NoSuchConverter')
    expect(ConverterError.is(missing) && missing.code).toBe('CONVERTER_LOAD')
    expect((missing as Error).message).toContain(join(dir, 'extensions', 'rest', 'NoSuchConverter.mjs'))
    const none = await load('./no-exports.mjs')
    expect(ConverterError.is(none) && none.code).toBe('CONVERTER_SHAPE')
    expect((none as Error).message).toContain('exports no downlink converter')
    expect((none as Error).message).toContain('found exports something')
    const throws = await load('./factory-throws.mjs')
    expect(ConverterError.is(throws) && throws.code).toBe('CONVERTER_LOAD')
    expect((throws as Error).message).toContain('the downlink converter factory threw: no config')
    const nothing = await load('./factory-returns-nothing.mjs')
    expect(ConverterError.is(nothing) && nothing.code).toBe('CONVERTER_SHAPE')
    expect((nothing as Error).message).toContain('returned number, not an object with convert(event, rule)')
  })

  it('without extension, loadDownlinkBuilder is the template builder', async () => {
    const build = await loadDownlinkBuilder(attributeUpdateRule({ requestUrlExpression: 'http://h/${attributeKey}' }), { configDir: dir })
    expect(await build({ type: 'attributeUpdate', device: 'd', key: 'k', value: 1, data: { k: 1 } })).toEqual({
      url: 'http://h/k',
      method: 'POST',
      headers: {},
    })
  })
})

describe('toOutboundRequest', () => {
  const rule = rpcRule({ requestUrlExpression: 'http://u/', httpHeaders: { 'Content-Type': 'text/csv' } })

  it('keeps string and byte bodies as they are, ArrayBuffer becomes bytes, null is no body', () => {
    expect(toOutboundRequest({ url: 'http://h/', body: 'a,b' }, rule)).toEqual({
      url: 'http://h/',
      method: 'GET',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b',
    })
    const bytes = new Uint8Array([1, 2])
    expect(toOutboundRequest({ url: 'http://h/', body: bytes }, rule).body).toBe(bytes)
    expect(toOutboundRequest({ url: 'http://h/', body: new Uint8Array([3]).buffer }, rule).body).toEqual(new Uint8Array([3]))
    expect(toOutboundRequest({ url: 'http://h/', body: null }, rule)).not.toHaveProperty('body')
  })

  it('keeps a configured content type for a JSON-encoded body', () => {
    expect(toOutboundRequest({ url: 'http://h/', body: [1] }, rule)).toMatchObject({ headers: { 'content-type': 'text/csv' }, body: '[1]' })
  })

  const reason = (output: unknown): string | undefined => {
    try {
      toOutboundRequest(output, rule)
    } catch (e) {
      return `${downlinkFailureOf(e)}: ${(e as Error).message}`
    }
    return undefined
  }

  it('rejects bad shapes', () => {
    expect(reason(null)).toContain('DOWNLINK_OUTPUT: serverSideRpc[0].extension: the custom downlink converter returned null')
    expect(reason([])).toContain('returned an array')
    expect(reason({ url: 'http://h/', method: 'FETCH' })).toContain('returned method "FETCH"')
    expect(reason({ url: 'http://h/', headers: { a: {} } })).toContain('header "a" of type object')
    expect(reason({ url: 'http://h/', body: 10n })).toContain('a body of type bigint')
    expect(reason({ url: 'mailto:x@y' })).toContain('URL_INVALID')
  })
})
