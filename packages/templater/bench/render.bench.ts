/** Run with `pnpm exec vitest bench --run` in packages/templater. Compile once, render many. */
import { bench, describe } from 'vitest'
import { compileTemplate } from '../src/index.ts'

const data = {
  sensorName: 'SN-001',
  sensorType: 'Thermometer',
  temp: 23.5,
  params: { zone: 'kitchen', value: 21.5 },
  items: [{ w: 1 }, { v: 2 }],
}
const name = compileTemplate('Device ${sensorName}')
const single = compileTemplate('${temp}')
const url = compileTemplate('http://127.0.0.1:5001/set/${params.zone}?restId=${id}&t=${items[*].v}')
const json = compileTemplate('{"target": ${params.value}, "zone": "${params.zone}", "all": ${params}}')

describe('templater render', () => {
  bench('text, literal + one placeholder', () => {
    name.render(data)
  })
  bench('evaluate, single placeholder', () => {
    single.evaluate(data)
  })
  bench('url, three placeholders', () => {
    url.render(data, 'url')
  })
  bench('json, three placeholders', () => {
    json.render(data, 'json')
  })
  bench('compile (load time, for comparison)', () => {
    compileTemplate('{"target": ${params.value}, "zone": "${params.zone}", "all": ${params}}')
  })
})
