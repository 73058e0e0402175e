/** Compiles a rule's URL/body templates once and renders an OutboundRequest from a variable scope. */
import type { OutboundRequestConfig } from '@restgate/config'
import { compileTemplate, parsePath, type RenderContext, type Template } from '@restgate/templater'
import { defaultLogger, type Logger } from '../logger.ts'
import { isJsonContentType } from './content-type.ts'
import { DownlinkBuildError } from './downlink-error.ts'
import type { OutboundRequest } from './types.ts'

const ABSOLUTE_HTTP_URL = /^https?:\/\/[^/?#\s]/i
const HAS_SCHEME = /^[a-z][a-z\d+.-]*:/i

export interface RequestTemplate {
  render(scope: Record<string, unknown>): OutboundRequest
  /**
   * The top-level variable names the rule's templates can look up (URL, body and header values),
   * or undefined when one of them needs the whole scope (a leading wildcard `${*.x}`). A caller
   * with a large scope passes only these names: the work per request then does not grow with it.
   */
  readonly names: readonly string[] | undefined
}

/** Top-level names an expression can read: the whole text (own key) and its first path segment. */
function namesOf(templates: readonly Template[]): string[] | undefined {
  const names = new Set<string>()
  for (const template of templates) {
    for (const text of template.placeholders) {
      names.add(text)
      let first
      try {
        first = parsePath(text)[0]
      } catch {
        continue // not a path: looked up only as a whole key
      }
      if (first === undefined) continue
      if (first.kind === 'wildcard') return undefined
      names.add(first.kind === 'key' ? first.key : String(first.index))
    }
  }
  return [...names]
}

const HEADER_UNSAFE = /[\r\n\0]/

/** Throws `HEADER_INVALID` unless `value` can be sent as an HTTP header value (no CR, LF or NUL). */
export function assertHeaderSafe(name: string, value: string, path: string): void {
  if (!HEADER_UNSAFE.test(value)) return
  throw new DownlinkBuildError('HEADER_INVALID', `${path}: header "${name.slice(0, 60)}" has a value with CR, LF or NUL; request not sent`, { path })
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
  const headersPath = `${rule.path}.httpHeaders`
  // `${...}` in header values render like the URL's variables (text, header-safe); constant ones are checked per call too
  const headerTemplates: Array<{ name: string; template: Template }> = []
  for (const [name, value] of Object.entries(headers)) {
    const template = compileTemplate(value, { path: `${headersPath}.${name}` })
    if (!template.isConstant) headerTemplates.push({ name, template })
  }
  const bodyContext: RenderContext = isJsonContentType(headers['content-type']) ? 'json' : 'text'
  const method = rule.httpMethod
  const relativeError = rule.urlIsRelative ? `${rule.path}: requestUrlExpression "${rule.requestUrlExpression}" has no scheme and host` : undefined
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

  function renderHeaders(scope: Record<string, unknown>): Record<string, string> {
    const out = { ...headers }
    for (const { name, template } of headerTemplates) {
      const result = template.render(scope, 'text')
      if (result.missing.length > 0) {
        const placeholders = quoteList(result.missing)
        throw new DownlinkBuildError('DOWNLINK_TEMPLATE_MISSING', `${headersPath}.${name}: no usable value for ${placeholders.join(', ')}`, {
          path: `${headersPath}.${name}`,
          placeholders,
        })
      }
      out[name] = result.value
    }
    for (const name in out) assertHeaderSafe(name, out[name] as string, headersPath)
    return out
  }

  const templates = [urlTemplate, ...(bodyTemplate === undefined ? [] : [bodyTemplate]), ...headerTemplates.map((h) => h.template)]
  return {
    names: namesOf(templates),
    render(scope: Record<string, unknown>): OutboundRequest {
      if (relativeError !== undefined) throw new DownlinkBuildError('URL_RELATIVE', relativeError, { path: urlPath })
      const url = renderUrl(scope)
      const request: OutboundRequest = { url, method, headers: renderHeaders(scope) }
      if (bodyTemplate !== undefined) {
        const body = bodyTemplate.render(scope, bodyContext)
        if (body.missing.length > 0) {
          logger.warn(
            {
              path: bodyPath,
              missing: body.missing,
            },
            `${bodyPath}: no value for ${quoteList(body.missing).join(', ')}; rendered empty (null outside JSON strings)`,
          )
        }
        request.body = body.value
      }
      return request
    },
  }
}
