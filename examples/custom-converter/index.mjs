// @ts-check
/**
 * Example custom converter for restgate: reads one number out of the raw bytes of a request body,
 * configured like the original gateway's CustomRestUplinkConverter:
 *
 *   "converter": {
 *     "type": "custom",
 *     "extension": "@restgate/example-converter",
 *     "deviceInfo": { "deviceNameExpressionSource": "constant", "deviceNameExpression": "SuperAnonDevice" },
 *     "extensionConfig": { "key": "Totaliser", "datatype": "float", "fromByte": 0, "toByte": 4,
 *                          "byteorder": "big", "signed": true, "multiplier": 1 }
 *   }
 */
import { ConverterError, defineConverter } from '@restgate/converters'

const INT_TYPES = new Set(['int', 'integer', 'long'])
const FLOAT_TYPES = new Set(['float', 'double'])
const SINGLE_PLACEHOLDER = /^\$\{\s*([^}]+?)\s*\}$/

/**
 * @param {string} path
 * @param {string} message
 * @returns {never}
 */
function configError(path, message) {
  throw new ConverterError('CONVERTER_CONFIG', `${path}: ${message}`, { path })
}

/**
 * Reads and checks `extensionConfig` once, when the converter is created.
 * @param {Record<string, unknown>} ext
 * @param {string} path config path of `extensionConfig`
 * @returns {import('./index.d.mts').BinaryNumberOptions}
 */
export function readOptions(ext, path) {
  const key = ext.key
  if (typeof key !== 'string' || key.trim() === '') configError(`${path}.key`, 'the telemetry key must be a non-empty string')
  const datatype = String(ext.datatype ?? 'int').toLowerCase()
  if (!INT_TYPES.has(datatype) && !FLOAT_TYPES.has(datatype)) configError(`${path}.datatype`, `expected int or float, got ${JSON.stringify(ext.datatype)}`)
  const fromByte = ext.fromByte ?? 0
  if (!Number.isInteger(fromByte) || Number(fromByte) < 0) configError(`${path}.fromByte`, `expected an integer >= 0, got ${JSON.stringify(fromByte)}`)
  const toByte = ext.toByte ?? Number(fromByte) + 4
  if (!Number.isInteger(toByte) || Number(toByte) <= Number(fromByte))
    configError(`${path}.toByte`, `expected an integer > fromByte, got ${JSON.stringify(toByte)}`)
  const length = Number(toByte) - Number(fromByte)
  const float = FLOAT_TYPES.has(datatype)
  if (float && length !== 4 && length !== 8) configError(`${path}.toByte`, `a float is 4 or 8 bytes long, got ${length}`)
  if (!float && length > 8) configError(`${path}.toByte`, `an int is at most 8 bytes long, got ${length}`)
  const byteorder = String(ext.byteorder ?? 'big').toLowerCase()
  if (byteorder !== 'big' && byteorder !== 'little') configError(`${path}.byteorder`, `expected big or little, got ${JSON.stringify(ext.byteorder)}`)
  const multiplier = ext.multiplier ?? 1
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier)) configError(`${path}.multiplier`, `expected a number, got ${JSON.stringify(multiplier)}`)
  return {
    key,
    datatype: float ? 'float' : 'int',
    fromByte: Number(fromByte),
    toByte: Number(toByte),
    byteorder: /** @type {'big' | 'little'} */ (byteorder),
    signed: ext.signed === true,
    multiplier,
  }
}

/**
 * The number stored in `bytes[fromByte, toByte)`.
 * @param {Uint8Array} body
 * @param {import('./index.d.mts').BinaryNumberOptions} o
 * @returns {number}
 */
export function decodeNumber(body, o) {
  const view = new DataView(body.buffer, body.byteOffset + o.fromByte, o.toByte - o.fromByte)
  const little = o.byteorder === 'little'
  let value
  if (o.datatype === 'float') value = view.byteLength === 4 ? view.getFloat32(0, little) : view.getFloat64(0, little)
  else {
    let n = 0n
    for (let i = 0; i < view.byteLength; i++) {
      const byte = BigInt(view.getUint8(little ? view.byteLength - 1 - i : i))
      n = (n << 8n) | byte
    }
    const bits = BigInt(view.byteLength * 8)
    if (o.signed && n >= 1n << (bits - 1n)) n -= 1n << bits
    value = Number(n)
  }
  // a multiplier such as 0.1 must not leave binary noise (12.300000000000001)
  return o.multiplier === 1 ? value : Number((value * o.multiplier).toPrecision(15))
}

/**
 * The device name: the constant from `deviceInfo`, or a single `${name}` looked up in the path
 * parameters, then the query, then the parsed data.
 * @param {import('@restgate/config').ConverterConfig} config
 */
function deviceNameResolver(config) {
  const { nameSource, name } = config.deviceInfo
  if (nameSource === 'constant') return () => name
  const match = SINGLE_PLACEHOLDER.exec(name)
  const path = `${config.path}.deviceInfo.deviceNameExpression`
  if (match === null) configError(path, `this converter takes a constant name or a single \${param}, got ${JSON.stringify(name)}`)
  const param = /** @type {string} */ (match[1])
  /**
   * @param {unknown} data
   * @param {import('@restgate/converters').RequestInfo} request
   */
  return (data, request) => {
    const fromData = typeof data === 'object' && data !== null && !Array.isArray(data) ? /** @type {Record<string, unknown>} */ (data)[param] : undefined
    const value = request.params[param] ?? request.query[param] ?? fromData
    if ((typeof value !== 'string' && typeof value !== 'number') || String(value).trim() === '') {
      throw new ConverterError('DEVICE_NAME_MISSING', `no device name: ${name} (${path}) is not in the path, query or body`, { path })
    }
    return String(value)
  }
}

/** The converter: `extension` may name this package, or a copy of this file. */
export const converter = defineConverter((config, ctx) => {
  const options = readOptions(config.extensionConfig, `${config.path}.extensionConfig`)
  const deviceName = deviceNameResolver(config)
  const deviceType = config.deviceInfo.profileSource === 'constant' && config.deviceInfo.profile !== '' ? config.deviceInfo.profile : 'default'
  ctx.logger.debug({ path: config.path, key: options.key }, 'binary number converter ready')
  return {
    convert(data, request) {
      const name = deviceName(data, request)
      const body = request.body
      if (body.length < options.toByte) {
        return {
          records: [],
          dropped: [
            {
              path: `${config.path}.extensionConfig`,
              key: options.key,
              reason: `the body has ${body.length} bytes, ${options.key} needs bytes ${options.fromByte}..${options.toByte - 1}`,
            },
          ],
        }
      }
      const value = decodeNumber(body, options)
      if (!Number.isFinite(value)) {
        return { records: [], dropped: [{ path: `${config.path}.extensionConfig`, key: options.key, reason: `the bytes hold ${value}, not a finite number` }] }
      }
      return { deviceName: name, deviceType, telemetry: [{ ts: request.receivedAt, values: { [options.key]: value } }] }
    },
  }
})

export { converter as CustomRestUplinkConverter }
export default converter
