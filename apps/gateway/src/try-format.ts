/** The readable form of a `restgate try` report (the CLI's default output and the sandbox's try panel). */
import type { TryReport } from './try.ts'

const show = (v: unknown): string => JSON.stringify(v) ?? String(v)

function matchLine(r: TryReport): string {
  const m = r.match
  const path = new URL(r.request.url).pathname
  switch (m.kind) {
    case 'mapping':
    case 'attributeRequest':
      return `${r.request.method} ${path} → ${m.path} (endpoint ${m.endpoint}, ${m.methods.join('/')}) of connector "${r.connector}"`
    case 'none':
      return m.reason === 'NOT_FOUND'
        ? `${r.request.method} ${path} → no endpoint at this path; configured: ${m.endpoints.join(', ') || '(none)'}`
        : `${r.request.method} ${path} → wrong method: ${r.request.method} is not allowed here; allowed: ${m.allowed.join(', ')}`
  }
}

/** One dropped datapoint or warning on one line. */
const at = (d: TryReport['dropped'][number]): string =>
  `${d.index !== undefined ? `[element ${d.index}] ` : ''}${d.path}${d.key !== null ? ` (key "${d.key}")` : ''}: ${d.reason}`

/** The readable form of a report (what `restgate try` prints and the sandbox's try panel shows). */
export function formatTryReport(r: TryReport): string {
  const out: string[] = [matchLine(r), '']
  const verdict = r.outcome === 'accepted' ? 'accepted' : r.outcome === 'waiting' ? 'published, waiting for ThingsBoard' : 'refused'
  out.push(`The device would get: HTTP ${r.response.status} (${verdict})`, `  ${r.response.body}`)
  if (r.waitsFor) out.push(`  A reply from ThingsBoard is needed: the answer waits for ${r.waitsFor}.`)
  out.push('')
  if (r.records.length === 0) out.push('Records: none')
  for (const rec of r.records) {
    out.push(`Device "${rec.device}" (type "${rec.type}")`)
    if (rec.attributes.length > 0) out.push('  attributes:')
    for (const a of rec.attributes) out.push(`    ${a.key} = ${show(a.value)} (${a.type})`)
    for (const t of rec.telemetry) {
      out.push(`  telemetry at ${new Date(t.ts).toISOString()} (ts ${t.ts}):`)
      for (const v of t.values) out.push(`    ${v.key} = ${show(v.value)} (${v.type})`)
    }
  }
  if (r.dropped.length > 0) out.push('', `Dropped datapoints (${r.dropped.length}):`, ...r.dropped.map((d) => `  ${at(d)}`))
  if (r.warnings.length > 0) out.push('', `Warnings (${r.warnings.length}):`, ...r.warnings.map((d) => `  ${at(d)}`))
  if (r.log.length > 0) out.push('', 'Gateway log:', ...r.log.map((l) => `  ${l.level.toUpperCase()} ${l.msg}${l.data ? ` ${show(l.data)}` : ''}`))
  out.push('', r.messages.length === 0 ? 'Messages to ThingsBoard: none' : `Messages to ThingsBoard (${r.messages.length}):`)
  for (const m of r.messages) out.push(`  ${m.topic}  ${m.payload}`)
  return out.join('\n')
}
