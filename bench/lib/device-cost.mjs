// W3's documented per-device cost: the tb-client's retained heap per distinct device, measured
// up to its bound (tbClientDefaults.maxKnownDevices) and beyond it (where it must stay flat).
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tbClientDefaults } from '@restgate/tb-client'

const here = dirname(fileURLToPath(import.meta.url))

export async function deviceStateCost() {
  const cap = tbClientDefaults.maxKnownDevices
  // the first run fills the bound (minus the 2000 warm-up devices), the second goes 4 × past it
  const fill = cap - 2000
  const beyond = 4 * cap
  const out = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', join(here, 'device-cost-child.mjs'), String(fill), String(beyond)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`device-cost-child exited with ${code}`))))
  })
  const [filled, past] = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  const bytesPerDevice = filled.bytes / filled.devices
  return {
    cap,
    bytesPerDevice,
    capMb: (bytesPerDevice * cap) / 2 ** 20,
    beyondDevices: past.devices,
    beyondMb: past.bytes / 2 ** 20,
    measured: { filled, past },
  }
}
