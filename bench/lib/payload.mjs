// The W1 request: the REST connector docs' payload, with the docs' basic-auth credentials.
export const AUTH = 'Basic ' + Buffer.from('user:password').toString('base64')

/** The docs' payload for device `i` (compact JSON; the wrk script builds the same bytes). */
export function docsBody(i) {
  return JSON.stringify({ sensorName: `SN-${i}`, sensorType: 'Thermometer', sensorModel: 'T1000', temp: 20 + (i % 10), hum: 50 + (i % 7) })
}
