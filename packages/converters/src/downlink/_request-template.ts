/** Compiles a rule's URL/body templates once and renders an OutboundRequest from a variable scope. */
import type { OutboundRequestConfig } from '@restgate/config'
import { compileTemplate, type RenderContext, type Template } from '@restgate/templater'
import { defaultLogger, type Logger } from '../logger.ts'
import { isJsonContentType } from './content-type.ts'
import { DownlinkBuildError } from './downlink-error.ts'
import type { OutboundRequest } from './types.ts'

const ABSOLUTE_HTTP_URL = /^https?:\/\/[^/?#\s]/i
const HAS_SCHEME = /^[a-z][a-z\d+.-]*:/i

export interface RequestTemplate {
  render(scope: Record<string, unknown>): OutboundRequest
}

function quoteList(expressions: readonly string[]): string[] {
  return expressions.map((e) => `\${${e}}`)
}

/** Throws unless `url` is an absolute, parseable http(s) URL. `source` names the expression in messages. */
export function assertAbsoluteHttpUrl(url: string, source: string, path: string): void {
  if (ABSOLUTE_HTTP_URL.test(url) && URL.canParse(url)) return
  const shown = url === source ? '' : ` (rendered "${url.slice(0, 200)}")`
  if (!HAS_SCHEME.test(url) || url.startsWith('//')) {
    throw new DownlinkBuildError('URL_RELATIVE', `${path}: requestUrlExpression "${source}"${shown} has no scheme and host`, { path })
  }
  throw new DownlinkBuildError('URL_INVALID', `${path}: requestUrlExpression "${source}"${shown} is not a valid http(s) URL`, { path })
}

/**
 * Compiles `requestUrlExpression` (URL context: each value percent-encoded; a URL that is one
 * placeholder, `${params.url}`, takes the value as the whole URL) and `valueExpression` (JSON
 * context when the rule's content type is JSON, text otherwise).
 *
 * @throws {TemplateError} `TEMPLATE_SYNTAX` when a template does not compile.
 */
export function compileRequestTemplate(rule: OutboundRequestConfig, logger: Logger = defaultLogger): RequestTemplate {
  const urlPath = `${rule.path}.requestUrlExpression`
  const bodyPath = `${rule.path}.valueExpression`
  const urlTemplate: Template = compileTemplate(rule.requestUrlExpression, { path: urlPath })
  const bodyTemplate: Template | undefined = rule.valueExpression === '' ? undefined : compileTemplate(rule.valueExpression, { path: bodyPath })
  const headers: Readonly<Record<string, string>> = Object.freeze({ ...rule.httpHeaders })
  const bodyContext: RenderContext = isJsonContentType(headers['content-type']) ? 'json' : 'text'
  const method = rule.httpMethod
  const relativeError = rule.urlIsRelative
    ? `${rule.path}: requestUrlExpression "${rule.requestUrlExpression}" has no scheme and host`
    : undefined
  const constantUrl = urlTemplate.isConstant ? rule.requestUrlExpression.trim() : undefined
  // a constant URL is checked once; a bad one fails every call (as a relative one does), not start-up
  let constantUrlError: DownlinkBuildError | undefined
  if (constantUrl !== undefined && relativeError === undefined) {
    try {
      assertAbsoluteHttpUrl(constantUrl, rule.requestUrlExpression, rule.path)
    } catch (e) {
      constantUrlError = e as DownlinkBuildError
    }
  }

  function renderUrl(scope: Record<string, unknown>): string {
    if (constantUrl !== undefined) {
      if (constantUrlError !== undefined) throw constantUrlError
      return constantUrl
    }
    let url: string
    let missing: string[]
    if (urlTemplate.isSingle) {
      const result = urlTemplate.evaluate(scope)
      missing = result.missing
      url = typeof result.value === 'string' ? result.value.trim() : ''
      if (missing.length === 0 && typeof result.value !== 'string') {
        throw new DownlinkBuildError('URL_INVALID', `${urlPath}: ${rule.requestUrlExpression} is not a string URL`, { path: urlPath })
      }
    } else {
      const result = urlTemplate.render(scope, 'url')
      url = result.value
      missing = result.missing
    }
    if (missing.length > 0) {
      const placeholders = quoteList(missing)
      throw new DownlinkBuildError(
        'DOWNLINK_TEMPLATE_MISSING',
        `${urlPath}: no usable value for ${placeholders.join(', ')} in "${rule.requestUrlExpression}"`,
        { path: urlPath, placeholders },
      )
    }
    assertAbsoluteHttpUrl(url, rule.requestUrlExpression, rule.path)
    return url
  }

  return {
    render(scope: Record<string, unknown>): OutboundRequest {
      if (relativeError !== undefined) throw new DownlinkBuildError('URL_RELATIVE', relativeError, { path: urlPath })
      const url = renderUrl(scope)
      const request: OutboundRequest = { url, method, headers: { ...headers } }
      if (bodyTemplate !== undefined) {
        const body = bodyTemplate.render(scope, bodyContext)
        if (body.missing.length > 0) {
          logger.warn({
            path: bodyPath,
            missing: body.missing,
          }, `${bodyPath}: no value for ${quoteList(body.missing).join(', ')}; rendered empty (null outside JSON strings)`)
        }
        request.body = body.value
      }
      return request
    },
  }
}
