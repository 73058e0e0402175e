// The MQTT brokers the bench publishes to: aedes (the sandbox's broker, in its own Node process)
// always, and mosquitto when Debian's `mosquitto` is installed. BENCH_BROKERS picks (comma list).
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, startProcess, stopProcess } from './procs.mjs'

const here = dirname(fileURLToPath(import.meta.url))

/** The access token (MQTT user name) of the gateway under test. */
export const GATEWAY_TOKEN = 'restgate-bench'

function mosquittoPath() {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto']) {
    if (spawnSync(p, ['-h'], { stdio: 'ignore' }).error === undefined) return p
  }
  return undefined
}

/** The brokers to run W1 on (first one also runs W2–W4), with the reason. */
export function chooseBrokers() {
  const mosquitto = mosquittoPath()
  const forced = process.env.BENCH_BROKERS
  if (forced) {
    const list = forced
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    for (const b of list) {
      if (b !== 'aedes' && b !== 'mosquitto') throw new Error(`BENCH_BROKERS: unknown broker "${b}" (aedes, mosquitto)`)
      if (b === 'mosquitto' && !mosquitto) throw new Error('BENCH_BROKERS names mosquitto but it is not installed (apt-get install mosquitto)')
    }
    return { list, why: 'BENCH_BROKERS' }
  }
  return mosquitto ? { list: ['aedes', 'mosquitto'], why: 'mosquitto found' } : { list: ['aedes'], why: 'mosquitto not installed (apt-get install mosquitto)' }
}

/** Starts a broker in its own process on an ephemeral port: `{ name, port, pid, stop() }`. */
export async function startBroker(name) {
  if (name === 'aedes') {
    const proc = await startProcess([join(here, 'broker.mjs')], { name: 'aedes broker' })
    return { name, port: proc.port, pid: proc.pid, stop: () => stopProcess(proc) }
  }
  const bin = mosquittoPath()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'restgate-bench-mosquitto-'))
  // started as root, mosquitto reads the ACL file after dropping to its own user
  chmodSync(dir, 0o755)
  const conf = join(dir, 'mosquitto.conf')
  // No limits on queued/in-flight messages: the bench's subscriber must not lose data to broker
  // policy. A ThingsBoard never echoes a message to the client that published it; MQTT 3.1.1 has no
  // "no local", so the gateway (its access token is its user name) may not read v1/gateway/attributes:
  // mosquitto then does not deliver the attributes messages the gateway itself sent back to it (its
  // subscription stays). Anonymous clients (the delivery counter) may read everything.
  const acl = join(dir, 'acl')
  writeFileSync(
    acl,
    [
      'topic readwrite #',
      '',
      `user ${GATEWAY_TOKEN}`,
      'topic write #',
      'topic read v1/gateway/rpc',
      'topic read v1/gateway/attributes/response',
      'topic read v1/devices/me/rpc/response/+',
      '',
    ].join('\n'),
  )
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `acl_file ${acl}`,
      'persistence false',
      'max_inflight_messages 0',
      'max_queued_messages 0',
      'set_tcp_nodelay true',
      'log_dest none',
      '',
    ].join('\n'),
  )
  const proc = await startProcess(['-c', conf], { command: bin, name: 'mosquitto', ready: null, waitForPort: port })
  return {
    name,
    port,
    pid: proc.pid,
    stop: async () => {
      await stopProcess(proc)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
