import type { ConverterFactory } from '@restgate/converters'

/** `extensionConfig` of the example converter, checked and with defaults filled. */
export interface BinaryNumberOptions {
  /** Telemetry key of the number. */
  key: string
  /** `int` (1–8 bytes, `signed` or not) or `float` (IEEE 754, 4 or 8 bytes). @default 'int' */
  datatype: 'int' | 'float'
  /** First byte of the number. @default 0 */
  fromByte: number
  /** Byte after the number (exclusive). @default fromByte + 4 */
  toByte: number
  /** @default 'big' */
  byteorder: 'big' | 'little'
  /** Two's complement int. @default false */
  signed: boolean
  /** Applied to the decoded number. @default 1 */
  multiplier: number
}

/** Checks `extensionConfig`; throws ConverterError `CONVERTER_CONFIG` naming the key at `path`. */
export declare function readOptions(ext: Record<string, unknown>, path: string): BinaryNumberOptions

/** The number stored in `body[fromByte, toByte)`. */
export declare function decodeNumber(body: Uint8Array, options: BinaryNumberOptions): number

/** The converter factory. */
export declare const converter: ConverterFactory
export { converter as CustomRestUplinkConverter }
export default converter
