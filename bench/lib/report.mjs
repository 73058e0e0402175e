// Printing: one line per measured row, and the summary with the ratios against the performance targets (BENCHMARKS.md).

export const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).toSorted((a, b) => a - b)
  if (s.length === 0) return undefined
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const f = (x, d = 0) => (x === undefined ? '-' : x.toFixed(d))

export function formatRow(r) {
  const delivery = r.dps === undefined ? 'not published' : `${f(r.dps)} dp/s delivered (${f(r.datapointsPerMessage, 1)} dp/msg), lost ${r.lost}`
  return (
    `  ${r.label.padEnd(30)} c=${String(r.connections).padEnd(4)}${f(r.rps).padStart(7)} req/s  p50 ${f(r.p50, 2)} ms  p99 ${f(r.p99, 2)} ms  ` +
    `${delivery}  errors ${r.errors}  peak RSS ${f(r.peakRssMb)} MB\n` +
    `  ${''.padEnd(30)} cpu (cores): server ${f(r.cpu.server, 2)} (${f(r.serverUsPerRequest, 1)} µs/req)  broker ${f(r.cpu.broker, 2)}  load generator ${f(r.cpu.loadgen, 2)}  counter ${f(r.cpu.counter, 2)}  other ${f(r.cpu.other, 2)}${r.cpu.other > 0.15 ? ' (!)' : ''}  machine busy ${f(r.cpu.machineBusy * 100)} %`
  )
}

const mark = (ok) => (ok ? 'met' : 'MISSED')

export function summarise(rows, { w3Devices, deviceCost }) {
  const find = (w, label, c, broker) => rows.find((r) => r.w === w && r.label === label && r.connections === c && (broker === undefined || r.broker === broker))
  const lines = []
  const summary = {}
  const brokers = [...new Set(rows.map((r) => r.broker))]
  for (const broker of brokers) {
    for (const c of new Set(rows.filter((r) => r.w === 'W1').map((r) => r.connections))) {
      const bare = find('W1', 'baseline: bare node:http', c, broker)
      const pub = find('W1', 'baseline: publish per request', c, broker)
      const rg = find('W1', 'restgate (memory)', c, broker)
      if (!bare || !pub || !rg) continue
      const s = { vsPublish: rg.rps / pub.rps, vsBare: rg.rps / bare.rps, p99: rg.p99, peakRssMb: rg.peakRssMb, lost: rg.lost }
      summary[`w1_${broker}_c${c}`] = s
      const p99 = c === 32 ? ` p99 ${f(s.p99, 1)} ms (< 15: ${mark(s.p99 < 15)});` : ` p99 ${f(s.p99, 1)} ms;`
      lines.push(
        `W1 ${broker} c=${c}: restgate ÷ publish-per-request = ${f(s.vsPublish, 2)} (≥ 1.5: ${mark(s.vsPublish >= 1.5)}); ` +
          `restgate ÷ bare = ${f(s.vsBare, 2)} (≥ 0.5: ${mark(s.vsBare >= 0.5)});${p99} peak RSS ${f(s.peakRssMb)} MB (< 120: ${mark(s.peakRssMb < 120)}); lost ${s.lost}`,
      )
    }
  }
  const m1 = find('W2', 'restgate, 1 mapping(s)', 32)
  const m1000 = find('W2', 'restgate, 1000 mapping(s)', 32)
  if (m1 && m1000) {
    summary.w2 = { ratio: m1000.rps / m1.rps }
    lines.push(`W2: 1000 mappings ÷ 1 mapping = ${f(summary.w2.ratio, 3)} (within 10 %: ${mark(Math.abs(1 - summary.w2.ratio) <= 0.1)})`)
  }
  const d1 = rows.find((r) => r.w === 'W3' && r.label === 'restgate, 1000 devices')
  const dN = rows.find((r) => r.w === 'W3' && r.label === `restgate, ${w3Devices} devices`)
  if (d1 && dN) {
    const perDevice = ((dN.peakRssMb - d1.peakRssMb) * 2 ** 20) / (w3Devices - 1000)
    summary.w3 = { peakRss1000: d1.peakRssMb, peakRssN: dN.peakRssMb, rssBytesPerExtraDevice: perDevice, deviceCost }
    lines.push(
      `W3: peak RSS ${f(d1.peakRssMb)} MB (${w3Devices} requests over 1000 devices) → ${f(dN.peakRssMb)} MB (over ${w3Devices} devices): ` +
        `+${f(dN.peakRssMb - d1.peakRssMb)} MB (${f(perDevice)} bytes per extra device name, mostly transient: one connect per new device)`,
    )
  }
  if (deviceCost) {
    lines.push(
      `W3: per-device state (tb-client, heap after GC): ${f(deviceCost.bytesPerDevice)} bytes × at most ${deviceCost.cap} remembered devices = ≤ ${f(deviceCost.capMb, 1)} MB; ` +
        `${deviceCost.beyondDevices} more distinct devices past the bound: ${deviceCost.beyondMb >= 0 ? '+' : ''}${f(deviceCost.beyondMb, 2)} MB (flat)`,
    )
  }
  for (const c of [32, 128]) {
    const mem = find('W4', 'restgate (memory)', c)
    for (const kind of ['file', 'sqlite']) {
      const r = find('W4', `restgate (${kind})`, c)
      if (mem && r) {
        summary[`w4_${kind}${c === 32 ? '' : `_c${c}`}`] = { ratio: r.rps / mem.rps }
        const target = kind === 'sqlite' && c === 32 ? ` (≥ 0.7: ${mark(r.rps / mem.rps >= 0.7)})` : ''
        lines.push(`W4 c=${c}: ${kind} ÷ memory = ${f(r.rps / mem.rps, 2)}${target}`)
      }
    }
  }
  console.log('\nSummary\n' + lines.map((l) => '  ' + l).join('\n'))
  return summary
}
