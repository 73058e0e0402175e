/**
 * An `attributeRequests[]` endpoint: the device and the attribute keys come from the request, the
 * answer is ThingsBoard's reply to exactly this request (the sink correlates by request id).
 */
import type { AttributeRequestConfig } from '@restgate/config'
import { compileTemplate, resolvePath, type Template } from '@restgate/templater'
import { EndpointRoute } from './_endpoint-route.ts'
import { isObject, type JsonObject } from './_parse.ts'
import type { RequestView } from './_request-view.ts'
import { jsonResponse, Reply } from './_respond.ts'
import { codeOf, type IngestRuntime, retryAfterOf } from './_runtime.ts'
import { IngestError } from './errors.ts'

function compile(source: string, path: string): Template {
  try {
    return compileTemplate(source, { path })
  } catch (error) {
    throw new IngestError('CONFIG_INVALID', `${path}: ${(error as Error).message}`, { cause: error })
  }
}

export class AttributeRequestRoute extends EndpointRoute {
  readonly config: AttributeRequestConfig
  readonly #device: Template
  readonly #keys: Template
  readonly #timeoutMs: number
  readonly #client: boolean

  constructor(rt: IngestRuntime, config: AttributeRequestConfig, bodyLimit: number) {
    super(rt, config, bodyLimit, true, undefined)
    if (!rt.sink.requestAttributes) {
      throw new IngestError('CONFIG_INVALID', `${config.path}: attribute requests need a sink with requestAttributes()`)
    }
    this.config = config
    this.#device = compile(config.deviceNameExpression, `${config.path}.deviceNameExpression`)
    this.#keys = compile(config.attributeNameExpression, `${config.path}.attributeNameExpression`)
    this.#timeoutMs = Math.max(0, config.timeout) * 1000
    this.#client = config.type === 'client'
  }

  /** Every placeholder of `attributeNameExpression` that resolves to a string (or strings). */
  #keysOf(data: JsonObject): string[] {
    const keys = new Set<string>()
    for (const expr of this.#keys.placeholders) {
      const hit = resolvePath(data, expr)
      if (!hit.found) continue
      const value = hit.value
      if (typeof value === 'string') {
        if (value !== '') keys.add(value)
      } else if (Array.isArray(value)) {
        for (const v of value.flat(Infinity)) if (typeof v === 'string' && v !== '') keys.add(v)
      }
    }
    return [...keys]
  }

  protected async process(req: RequestView): Promise<Reply> {
    const incoming = await this.receive(req)
    if (incoming instanceof Reply) return incoming
    const data = incoming.data
    if (!isObject(data)) return this.fail(400, 'BODY_SHAPE', 'an attribute request takes one JSON object, not an array')
    const name = this.#device.render(data, 'text')
    if (name.missing.length > 0 || name.value === '') {
      const what = name.missing.length > 0 ? `\${${name.missing.join('}, ${')}} not found in the request` : 'it is empty'
      return this.fail(400, 'DEVICE_NAME_MISSING', `${this.config.path}.deviceNameExpression "${this.config.deviceNameExpression}": ${what}`)
    }
    // as the original: a request naming no attribute is sent with `"keys": []`, and ThingsBoard's
    // answer (it returns every attribute of that scope) is the response
    const keys = this.#keysOf(data)
    const device = name.value
    const sink = this.rt.sink
    this.rt.waiting++
    try {
      const answer = await (sink.requestAttributes as NonNullable<typeof sink.requestAttributes>)({ device, keys, client: this.#client }, this.#timeoutMs)
      return jsonResponse(200, JSON.stringify(answer === undefined ? null : answer))
    } catch (error) {
      const reply = this.#failed(error, device)
      reply.device = device
      return reply
    } finally {
      this.rt.waiting--
    }
  }

  #failed(error: unknown, device: string): Reply {
    const code = codeOf(error)
    if (code === 'TIMEOUT') {
      return this.fail(
        408,
        'ATTRIBUTE_REQUEST_TIMEOUT',
        `ThingsBoard did not answer the attribute request for device "${device}" within ${this.#timeoutMs / 1000} s`,
      )
    }
    const retryAfter = { 'retry-after': retryAfterOf(error, this.rt.retryAfterSeconds) }
    if (code === 'NOT_CONNECTED') {
      return this.fail(503, 'NOT_CONNECTED', 'the gateway is not connected to ThingsBoard; retry later', retryAfter)
    }
    this.rt.logger.error({ device, error: String(error) }, 'attribute request failed')
    return this.fail(503, 'ATTRIBUTE_REQUEST_FAILED', `the attribute request for device "${device}" failed; retry later`, retryAfter)
  }
}
