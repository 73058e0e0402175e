export { validateConfig, validateConfigDefaults } from './validate-config.ts'
export type { ValidateConfigOptions } from './validate-config.ts'
export { validateGatewayConfig } from './validate-gateway-config.ts'
export type { ValidateGatewayConfigOptions } from './validate-gateway-config.ts'
export { readConfig, readGatewayConfig } from './read-config.ts'
export type { ReadConfigOptions, ReadGatewayConfigOptions } from './read-config.ts'
export { formatIssues, formatIssuesDefaults, unwrapConfig } from './format-issues.ts'
export type { FormatIssuesOptions } from './format-issues.ts'
export { ConfigError } from './errors.ts'
export type { ConfigErrorCode, ConfigErrorOptions } from './errors.ts'
export { restConfigSchema } from './schema/rest-schema.ts'
export { gatewayConfigSchema } from './schema/gateway-schema.ts'
export { gatewayJsonSchema, restJsonSchema } from './json-schema.ts'
export {
  adminDefaults,
  attributeRequestDefaults,
  downlinkDefaults,
  GATEWAY_ENV_VARIABLES,
  outboundDefaults,
  responseDefaults,
  serverDefaults,
  statisticsDefaults,
  storageDefaults,
  thingsboardDefaults,
} from './defaults.ts'
export type * from './model.ts'
