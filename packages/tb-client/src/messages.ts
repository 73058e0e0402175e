/**
 * `@restgate/tb-client/messages`: the Gateway API messages of records, built by the client's own
 * code, without the MQTT client (mqtt.js is not loaded). For dry runs (`restgate try`).
 */
export { toAttributeRequestMessage, toGatewayMessages } from './client/to-gateway-messages.ts'
export type { GatewayMessage, GatewayMessages, ToGatewayMessagesOptions } from './client/to-gateway-messages.ts'
export { tbClientDefaults } from './client/options.ts'
