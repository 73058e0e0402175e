/**
 * A `mapping[]` endpoint: converter data → converter → `sink.accept` → 200 only once stored;
 * with `response.responseExpected`, the answer waits (without blocking anything) for the next
 * update of `responseAttribute` of that request's own device.
 */
import { isOutboxFull } from '@restgate/core'
import type { MappingConfig } from '@restgate/config'
import { ConverterError, loadConverter, type ConvertResult, type UplinkConverter, type UplinkRecord } from '@restgate/converters'
import { EndpointRoute } from './_endpoint-route.ts'
import { type DroppedEntry, droppedForResponse, isConvertResult, RECORD_SLICE, type RecordSummary, stringifyInSlices, summariseRecords } from './_records.ts'
import { IncomingRequest } from './_request-info.ts'
import type { RequestView } from './_request-view.ts'
import { jsonResponse, type PreparedBody, prepareBody, preparedResponse, Reply } from './_respond.ts'
import { codeOf, type IngestRuntime, retryAfterOf } from './_runtime.ts'
import { IngestError } from './errors.ts'

/** Converter errors that mean "the request does not fit the mapping", i.e. the client's fault. */
const CLIENT_ERRORS: ReadonlySet<string> = new Set(['DEVICE_NAME_MISSING', 'BODY_SHAPE'])

/** `record` with the client attribute `responseExpected: true` added (a copy: the converter's objects stay as they are). */
function withResponseExpected(record: UplinkRecord): UplinkRecord {
  return { ...record, attributes: { ...record.attributes, responseExpected: true } }
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

export class MappingRoute extends EndpointRoute {
  readonly mapping: MappingConfig
  readonly #configDir: string
  readonly #successBody: PreparedBody | undefined
  /** `responseAttribute` when `responseExpected`. */
  readonly #waitKey: string | undefined
  readonly #waitMs: number
  #converter: UplinkConverter | undefined
  #loading: Promise<UplinkConverter> | undefined

  constructor(rt: IngestRuntime, mapping: MappingConfig, bodyLimit: number, configDir: string, converter?: UplinkConverter) {
    const strict = mapping.converter.type === 'json' && mapping.converter.extension === undefined
    super(rt, mapping, bodyLimit, strict, prepareBody(mapping.response.unsuccessfulResponse))
    this.mapping = mapping
    this.#configDir = configDir
    this.#converter = converter
    this.#successBody = prepareBody(mapping.response.successResponse)
    this.#waitMs = Math.max(0, mapping.response.timeout) * 1000
    if (mapping.response.responseExpected) {
      const key = mapping.response.responseAttribute
      if (!key) {
        throw new IngestError('CONFIG_INVALID', `${mapping.path}.response.responseAttribute: required when responseExpected is true`)
      }
      if (!rt.sink.waitForAttribute) {
        throw new IngestError('CONFIG_INVALID', `${mapping.path}.response.responseExpected: the sink has no waitForAttribute()`)
      }
      this.#waitKey = key
    }
  }

  /** Loads the converter once (shared by concurrent callers; retried after a failure). */
  load(): Promise<UplinkConverter> {
    if (this.#converter) return Promise.resolve(this.#converter)
    this.#loading ??= loadConverter(this.mapping.converter, { configDir: this.#configDir, logger: this.rt.logger }).then(
      (converter) => (this.#converter = converter),
      (error: unknown) => {
        this.#loading = undefined
        throw error
      },
    )
    return this.#loading
  }

  protected async process(req: RequestView): Promise<Reply> {
    const incoming = await this.receive(req)
    if (incoming instanceof Reply) return incoming
    let converter = this.#converter
    if (!converter) {
      try {
        converter = await this.load()
      } catch (error) {
        this.rt.logger.error({ path: this.mapping.converter.path, error: String(error) }, 'converter could not be loaded')
        return this.fail(500, 'CONVERTER_LOAD', `the converter of ${this.mapping.converter.path} could not be loaded`)
      }
    }
    let result: ConvertResult
    try {
      const out = converter.convert(incoming.data, new IncomingRequest(req, incoming))
      result = isThenable(out) ? await out : out
    } catch (error) {
      return this.#conversionFailed(error)
    }
    if (!isConvertResult(result)) return this.#badResult('it is not { records, dropped }')
    // a long list is counted (and below, its dropped entries listed) a slice per turn of the event loop
    const summarising = summariseRecords(result.records)
    const summary = summarising instanceof Promise ? await summarising : summarising
    if (typeof summary === 'string') return this.#badResult(summary)
    if (result.dropped !== undefined) this.rt.droppedDatapoints += result.dropped.length
    const records = result.records
    const device = records.length > 0 ? (records[0] as UplinkRecord).deviceName : undefined
    if (records.length > 0) {
      // as the original: the device's data carries the client attribute `responseExpected: true`
      // (ThingsBoard rule chains react to it and answer with `responseAttribute`)
      if (this.#waitKey !== undefined) records[0] = withResponseExpected(records[0] as UplinkRecord)
      try {
        await this.rt.sink.accept(records, this.rt.acceptMeta)
      } catch (error) {
        const reply = this.#sinkFailed(error)
        reply.device = device
        return reply
      }
      this.rt.records += records.length
      this.rt.datapoints += summary.attributes + summary.telemetry
      if (this.#waitKey !== undefined) {
        const reply = await this.#awaitAnswer(req, device as string, this.#waitKey)
        if (reply.status >= 400) reply.device = device
        return reply
      }
    }
    const all = result.dropped
    if (all === undefined || all.length === 0) return this.#success(summary)
    const listing = droppedForResponse(all)
    const lists = listing instanceof Promise ? await listing : listing
    const reply = await this.#success(summary, lists.dropped, lists.warnings)
    if (lists.lost.length > 0) {
      reply.device = device
      reply.dropped = lists.lost
    }
    return reply
  }

  #success(summary: RecordSummary): Reply
  #success(summary: RecordSummary, dropped: DroppedEntry[], warnings: DroppedEntry[]): Reply | Promise<Reply>
  #success(summary: RecordSummary, dropped?: DroppedEntry[], warnings?: DroppedEntry[]): Reply | Promise<Reply> {
    if (this.#successBody) return preparedResponse(200, this.#successBody)
    // what JSON.stringify gives for { status, ...summary, dropped, warnings? } (counts are integers)
    const head = `{"status":"ok","devices":${summary.devices},"attributes":${summary.attributes},"telemetry":${summary.telemetry},"dropped":`
    if (dropped === undefined || warnings === undefined) return jsonResponse(200, `${head}[]}`)
    if (dropped.length + warnings.length <= RECORD_SLICE) {
      return jsonResponse(200, `${head}${JSON.stringify(dropped)}${warnings.length > 0 ? `,"warnings":${JSON.stringify(warnings)}` : ''}}`)
    }
    return (async () => {
      const list = await stringifyInSlices(dropped)
      const warned = warnings.length > 0 ? `,"warnings":${await stringifyInSlices(warnings)}` : ''
      return jsonResponse(200, `${head}${list}${warned}}`)
    })()
  }

  #conversionFailed(error: unknown): Reply {
    if (ConverterError.is(error) && CLIENT_ERRORS.has(error.code)) return this.fail(400, error.code, error.message)
    const cause = (error as { cause?: unknown } | null)?.cause
    this.rt.logger.error(
      {
        path: this.mapping.converter.path,
        error: String(error),
        stack: (error as Error | null)?.stack,
        cause: cause === undefined ? undefined : String(cause),
      },
      'converter failed',
    )
    const code = ConverterError.is(error) ? error.code : 'CONVERTER_FAILED'
    return this.fail(500, code, `the converter of ${this.mapping.converter.path} failed; the gateway log has the details`)
  }

  #badResult(problem: string): Reply {
    this.rt.logger.error({ path: this.mapping.converter.path, problem }, 'converter returned an invalid result')
    return this.fail(500, 'CONVERTER_RESULT', `the converter of ${this.mapping.converter.path} returned an invalid result: ${problem}`)
  }

  #sinkFailed(error: unknown): Reply {
    const retryAfter = { 'retry-after': retryAfterOf(error, this.rt.retryAfterSeconds) }
    if (isOutboxFull(error)) {
      // logged (rate-limited) as a refused request with code OUTBOX_FULL
      return this.fail(503, 'OUTBOX_FULL', 'the gateway storage is full; nothing was stored, retry later', retryAfter)
    }
    this.rt.logger.error({ endpoint: this.mapping.endpoint, error: String(error) }, 'data could not be stored')
    return this.fail(503, 'SINK_FAILED', 'the data could not be stored; nothing was accepted, retry later', retryAfter)
  }

  async #awaitAnswer(req: RequestView, device: string, key: string): Promise<Reply> {
    const signal = req.signal
    this.rt.waiting++
    try {
      const value = await (this.rt.sink.waitForAttribute as NonNullable<typeof this.rt.sink.waitForAttribute>)(device, key, this.#waitMs, signal)
      return jsonResponse(200, JSON.stringify(value === undefined ? null : value))
    } catch (error) {
      if (codeOf(error) === 'TIMEOUT') {
        return this.fail(408, 'RESPONSE_TIMEOUT', `no update of attribute "${key}" for device "${device}" within ${this.#waitMs / 1000} s; the data was stored`)
      }
      if (signal.aborted) return this.fail(499, 'CLIENT_CLOSED', 'the client closed the connection while waiting')
      this.rt.logger.warn({ device, key, error: String(error) }, 'waiting for the response attribute failed')
      return this.fail(503, 'RESPONSE_WAIT_FAILED', `waiting for attribute "${key}" of device "${device}" failed; the data was stored`, {
        'retry-after': String(this.rt.retryAfterSeconds),
      })
    } finally {
      this.rt.waiting--
    }
  }
}
