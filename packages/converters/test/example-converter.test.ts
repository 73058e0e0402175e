/**
 * The example package (examples/custom-converter) loaded the way the gateway loads it — by path
 * through loadConverter — and run through the conformance suite, so that the root test run covers it.
 */
import { fileURLToPath } from 'node:url'
import { dirname } from 'node:path'
import { expect, it } from 'vitest'
import { loadConverter } from '../src/load-converter.ts'
import { createTestConverterConfig, testConverter } from '../src/testing.ts'

const exampleFile = fileURLToPath(new URL('../../../examples/custom-converter/index.mjs', import.meta.url))
const configDir = dirname(exampleFile)

const config = createTestConverterConfig({
  path: 'mapping[2].converter',
  extension: './index.mjs',
  deviceName: 'SuperAnonDevice',
  extensionConfig: { key: 'Totaliser', datatype: 'int', fromByte: 1, toByte: 3, byteorder: 'little', signed: true, multiplier: 0.5 },
})

const converter = await loadConverter(config, { configDir })

testConverter('example converter loaded by path', converter, {
  config,
  cases: [
    {
      name: 'little-endian signed int16 at bytes 1..2, times 0.5',
      data: {},
      request: { body: Uint8Array.from([0xaa, 0xfe, 0xff, 0xbb]), contentType: 'application/octet-stream' },
      expect: {
        records: [{ deviceName: 'SuperAnonDevice', deviceType: 'default', attributes: {}, telemetry: [{ ts: 1_700_000_000_000, values: { Totaliser: -1 } }] }],
        dropped: [],
      },
    },
  ],
})

it('rejects a bad extensionConfig at load, naming its path', async () => {
  const bad = createTestConverterConfig({ path: 'mapping[9].converter', extension: './index.mjs', extensionConfig: { key: 'k', byteorder: 'middle' } })
  await expect(loadConverter(bad, { configDir })).rejects.toMatchObject({
    code: 'CONVERTER_CONFIG',
    message: 'mapping[9].converter.extensionConfig.byteorder: expected big or little, got "middle"',
  })
})
