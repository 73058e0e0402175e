import { createRequestInfo, type ConvertResult } from '@restgate/converters'
import { createTestConverterConfig, testConverter } from '@restgate/converters/testing'
import { describe, expect, it } from 'vitest'
import converter, { CustomRestUplinkConverter, decodeNumber, readOptions } from '../index.mjs'

const T0 = 1_700_000_000_000

/** The original's shipped `/anon2` mapping. */
const config = createTestConverterConfig({
  path: 'mapping[2].converter',
  extension: 'CustomRestUplinkConverter',
  deviceName: 'SuperAnonDevice',
  extensionConfig: { key: 'Totaliser', datatype: 'float', fromByte: 0, toByte: 4, byteorder: 'big', signed: true, multiplier: 1 },
})

/** 12.5 as a big-endian float32. */
const FLOAT_12_5 = Uint8Array.from([0x41, 0x48, 0x00, 0x00])

testConverter('example binary converter', converter, {
  config,
  cases: [
    {
      name: 'a big-endian float32 body',
      data: {},
      request: { body: FLOAT_12_5, contentType: 'application/octet-stream' },
      expect: {
        records: [{ deviceName: 'SuperAnonDevice', deviceType: 'default', attributes: {}, telemetry: [{ ts: T0, values: { Totaliser: 12.5 } }] }],
        dropped: [],
      },
    },
    {
      name: 'a body that is too short',
      data: {},
      request: { body: Uint8Array.from([1, 2]) },
      expect: {
        records: [],
        dropped: [{ path: 'mapping[2].converter.extensionConfig', key: 'Totaliser', reason: 'the body has 2 bytes, Totaliser needs bytes 0..3' }],
      },
    },
  ],
})

function convertWith(extensionConfig: Record<string, unknown>, body: number[], init: Partial<Parameters<typeof createTestConverterConfig>[0]> = {}): unknown {
  const factory = converter as unknown as (c: unknown, x: unknown) => { convert(d: unknown, r: unknown): unknown }
  const logger = { debug() {}, info() {}, warn() {}, error() {} }
  const instance = factory(createTestConverterConfig({ ...init, extensionConfig }), {
    configDir: '.',
    logger,
    extensionConfig,
    createJsonConverter: () => undefined,
  })
  return instance.convert({ serial: 'S-9' }, createRequestInfo({ body: Uint8Array.from(body), receivedAt: T0, query: { q: 'Q-1' }, params: { p: 'P-1' } }))
}

describe('decoding', () => {
  it.each([
    [{ datatype: 'int', fromByte: 0, toByte: 2, byteorder: 'big' }, [0x01, 0x02], 258],
    [{ datatype: 'int', fromByte: 0, toByte: 2, byteorder: 'little' }, [0x01, 0x02], 513],
    [{ datatype: 'int', fromByte: 1, toByte: 2 }, [0x00, 0xff], 255],
    [{ datatype: 'int', fromByte: 1, toByte: 2, signed: true }, [0x00, 0xff], -1],
    [{ datatype: 'int', fromByte: 0, toByte: 4, signed: true }, [0xff, 0xff, 0xff, 0xfe], -2],
    [{ datatype: 'long', fromByte: 0, toByte: 8, signed: false }, [0, 0, 0, 0, 0, 0, 1, 0], 256],
    [{ datatype: 'float', fromByte: 0, toByte: 4, byteorder: 'little' }, [0x00, 0x00, 0x48, 0x41], 12.5],
    [{ datatype: 'double', fromByte: 0, toByte: 8 }, [0x40, 0x29, 0, 0, 0, 0, 0, 0], 12.5],
    [{ datatype: 'int', fromByte: 0, toByte: 1, multiplier: 0.1 }, [123], 12.3],
    [{ datatype: 'int', fromByte: 0, toByte: 2, multiplier: 2 }, [0x00, 0x15], 42],
  ])('%j of %j → %d', (ext, bytes, expected) => {
    expect(decodeNumber(Uint8Array.from(bytes), readOptions({ key: 'v', ...ext }, 'x'))).toBe(expected)
  })

  it('reads from a Uint8Array that is a view into a larger buffer', () => {
    const buffer = Uint8Array.from([9, 9, 0x01, 0x02, 9]).subarray(2, 4)
    expect(decodeNumber(buffer, readOptions({ key: 'v', datatype: 'int', fromByte: 0, toByte: 2 }, 'x'))).toBe(258)
  })
})

describe('device name', () => {
  it.each([
    ['${p}', 'P-1'],
    ['${q}', 'Q-1'],
    ['${serial}', 'S-9'],
  ])('%s is looked up in params, query, then data', (expression, name) => {
    const result = convertWith({ key: 'v', toByte: 1 }, [7], { deviceName: expression }) as { deviceName: string }
    expect(result.deviceName).toBe(name)
  })

  it('fails with DEVICE_NAME_MISSING when the parameter is absent', () => {
    expect(() => convertWith({ key: 'v', toByte: 1 }, [7], { deviceName: '${nope}' })).toThrowError(expect.objectContaining({ code: 'DEVICE_NAME_MISSING' }))
  })
})

describe('extensionConfig checks at load', () => {
  it.each([
    [{}, 'x.key: the telemetry key must be a non-empty string'],
    [{ key: 'v', datatype: 'text' }, 'x.datatype: expected int or float, got "text"'],
    [{ key: 'v', fromByte: -1 }, 'x.fromByte: expected an integer >= 0, got -1'],
    [{ key: 'v', fromByte: 2, toByte: 2 }, 'x.toByte: expected an integer > fromByte, got 2'],
    [{ key: 'v', datatype: 'float', toByte: 3 }, 'x.toByte: a float is 4 or 8 bytes long, got 3'],
    [{ key: 'v', toByte: 9 }, 'x.toByte: an int is at most 8 bytes long, got 9'],
    [{ key: 'v', byteorder: 'middle' }, 'x.byteorder: expected big or little, got "middle"'],
    [{ key: 'v', multiplier: '2' }, 'x.multiplier: expected a number, got "2"'],
  ])('%j → %s', (ext, message) => {
    expect(() => readOptions(ext, 'x')).toThrowError(expect.objectContaining({ code: 'CONVERTER_CONFIG', message }))
  })

  it('exports the converter under the original class name too', () => {
    expect(CustomRestUplinkConverter).toBe(converter)
  })

  it('reports a NaN float as dropped, not as a value', () => {
    const result = convertWith({ key: 'v', datatype: 'float', toByte: 4 }, [0x7f, 0xc0, 0, 0]) as ConvertResult
    expect(result).toEqual({
      records: [],
      dropped: [{ path: 'mapping[0].converter.extensionConfig', key: 'v', reason: 'the bytes hold NaN, not a finite number' }],
    })
  })
})
