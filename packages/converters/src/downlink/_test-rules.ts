/** Rule objects as the config validator produces them, for tests (not exported from the package). */
import type { AttributeUpdateRule, OutboundRequestConfig, RpcRule } from '@restgate/config'

const ABSOLUTE = /^[a-z][a-z\d+.-]*:\/\//i

export type OutboundInit = Partial<OutboundRequestConfig> & { requestUrlExpression: string }

export function outboundRule(init: OutboundInit): OutboundRequestConfig {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(init.httpHeaders ?? {})) headers[k.toLowerCase()] = v
  const url = init.requestUrlExpression
  return {
    httpMethod: 'POST',
    valueExpression: '',
    security: { type: 'anonymous' },
    timeout: 0.5,
    tries: 3,
    allowRedirects: true,
    sslVerify: false,
    extensionConfig: {},
    urlIsRelative: !url.trimStart().startsWith('${') && !ABSOLUTE.test(url.trim()),
    path: 'rule',
    ...init,
    httpHeaders: headers,
  }
}

function fullMatch(filter: string): RegExp {
  return new RegExp(`^(?:${filter})$`)
}

export function attributeUpdateRule(init: OutboundInit & { deviceNameFilter?: string; attributeFilter?: string }): AttributeUpdateRule {
  const { deviceNameFilter = '.*', attributeFilter = '.*', ...rest } = init
  return {
    ...outboundRule({ path: 'attributeUpdates[0]', ...rest }),
    deviceNameFilter: fullMatch(deviceNameFilter),
    attributeFilter: fullMatch(attributeFilter),
  }
}

export function rpcRule(init: OutboundInit & { deviceNameFilter?: string; methodFilter?: string; responseTimeout?: number }): RpcRule {
  const { deviceNameFilter = '.*', methodFilter = '.*', responseTimeout, ...rest } = init
  return {
    ...outboundRule({ httpMethod: 'GET', path: 'serverSideRpc[0]', ...rest }),
    deviceNameFilter: fullMatch(deviceNameFilter),
    methodFilter: fullMatch(methodFilter),
    ...(responseTimeout === undefined ? {} : { responseTimeout }),
  }
}
