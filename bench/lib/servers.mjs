// The servers under test: restgate (the built CLI, on the docs' config) and the two baselines.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GATEWAY_TOKEN } from './brokers.mjs'
import { freePort, startProcess } from './procs.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')

/**
 * Writes a tb_gateway.json (the quickstart's, with the bench broker and the chosen storage) and a
 * rest.json (the docs' example, or N copies of its /my_devices mapping, /my_devices last).
 */
function writeGatewayConfig({ brokerPort, httpPort, storage = 'memory', mappings, adminPort }) {
  const dir = mkdtempSync(join(tmpdir(), 'restgate-bench-'))
  const docs = JSON.parse(readFileSync(join(root, 'examples/quickstart/rest.json'), 'utf8'))
  docs.port = String(httpPort)
  if (mappings) {
    const template = docs.mapping[0]
    docs.mapping = Array.from({ length: mappings }, (_, i) => ({ ...template, endpoint: i === mappings - 1 ? '/my_devices' : `/m${i}` }))
  }
  writeFileSync(join(dir, 'rest.json'), JSON.stringify(docs, null, 2))
  cpSync(join(root, 'examples/quickstart/extensions'), join(dir, 'extensions'), { recursive: true })
  mkdirSync(join(dir, 'data'))
  const gateway = JSON.parse(readFileSync(join(root, 'examples/quickstart/tb_gateway.json'), 'utf8'))
  gateway.thingsboard.host = '127.0.0.1'
  gateway.thingsboard.port = brokerPort
  gateway.thingsboard.security = { type: 'accessToken', accessToken: GATEWAY_TOKEN }
  gateway.storage = {
    ...gateway.storage,
    type: storage,
    max_read_records_count: gateway.storage.read_records_count,
    data_folder_path: './data/',
    data_file_path: './data/',
    max_file_count: 100,
    max_records_per_file: 100_000,
  }
  // the admin endpoint (metrics hooks on the request path) when asked for
  if (adminPort !== undefined) gateway.admin = { host: '127.0.0.1', port: adminPort }
  writeFileSync(join(dir, 'tb_gateway.json'), JSON.stringify(gateway, null, 2))
  return dir
}

/** Starts the gateway CLI (built `dist`) on a fresh config; `url` is its /my_devices. */
export async function startGateway(opts) {
  const httpPort = await freePort()
  const dir = writeGatewayConfig({ ...opts, httpPort })
  const proc = await startProcess(
    [...(opts.nodeArgs ?? []), join(root, 'apps/gateway/bin/restgate.js'), '--config', join(dir, 'tb_gateway.json'), '--log-level', 'warn'],
    {
      ready: /sending to ThingsBoard/,
      name: 'restgate',
    },
  )
  return { ...proc, url: `http://127.0.0.1:${httpPort}/my_devices`, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Starts one of the baseline servers of lib/ (it prints its port). */
export async function startBaseline(file, brokerPort) {
  const proc = await startProcess([join(here, file)], { env: { BROKER_PORT: String(brokerPort) }, name: file })
  return { ...proc, url: `http://127.0.0.1:${proc.port}/my_devices`, cleanup: () => {} }
}
