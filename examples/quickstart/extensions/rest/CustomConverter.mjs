// The `CustomConverter` that the REST connector docs' example names for `/anon1`.
// restgate finds it by that bare name as `extensions/rest/CustomConverter.mjs` next to the config.
//
// It converts with the mapping's own expressions (the built-in JSON converter: device "Device 2",
// attribute model, timeseries temperature/humidity), and also understands a raw text body such as
// `21.5,40` (temperature,humidity) - something the JSON converter cannot read. It has no imports,
// so it works wherever the config folder is; see examples/custom-converter for a packaged one.

/** @param {import('@restgate/config').ConverterConfig} config */
export default function CustomConverter(config, ctx) {
  const json = ctx.createJsonConverter(config)
  return {
    convert(data, request) {
      const text = data && typeof data === 'object' && !Array.isArray(data) && typeof data.text === 'string' ? data.text.trim() : undefined
      const csv = text === undefined ? undefined : /^(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)$/.exec(text)
      if (csv) data = { ...data, temp: Number(csv[1]), hum: Number(csv[2]) }
      return json.convert(data, request)
    },
  }
}
