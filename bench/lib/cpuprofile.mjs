// Summarises a V8 .cpuprofile: self and inclusive (self + callees) time per function, and self
// time per file; top N of each. Usage from the command line: node lib/cpuprofile.mjs <file> [N]
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\/\.pnpm\/([^/]+)\/node_modules\//, '$1:')
    .replace(/.*\/(packages|apps|bench)\//, '$1/')

const keyOf = (node) => {
  const cf = node.callFrame
  return `${cf.functionName || '(anonymous)'}  ${shortUrl(cf.url)}:${cf.lineNumber + 1}`
}
const roots = (k) => k.startsWith('(root)') || k.startsWith('(idle)') || k.startsWith('(program)')

export function summariseProfile(file, top = 30) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map()
  const inclusive = new Map()
  let total = 0
  let idle = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const d = profile.timeDeltas[i] ?? 0
    total += d
    let node = byId.get(profile.samples[i])
    const key = keyOf(node)
    if (node.callFrame.functionName === '(idle)') idle += d
    self.set(key, (self.get(key) ?? 0) + d)
    const seen = new Set()
    while (node) {
      const k = keyOf(node)
      if (!seen.has(k)) {
        seen.add(k)
        inclusive.set(k, (inclusive.get(k) ?? 0) + d)
      }
      node = byId.get(parent.get(node.id))
    }
  }
  const byFile = new Map()
  for (const [key, t] of self) {
    const f = key.split('  ')[1]?.replace(/:\d+$/, '') || '(native)'
    byFile.set(f, (byFile.get(f) ?? 0) + t)
  }
  const busy = total - idle
  const fmt = (entries, skip = () => false) =>
    [...entries]
      .filter(([k]) => !skip(k))
      .toSorted((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => `${((100 * t) / busy).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n')
  return (
    `total ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages are of busy time)\n\n` +
    `self time by function:\n${fmt(self, roots)}\n\ninclusive time by function:\n${fmt(inclusive, roots)}\n\nself time by file:\n${fmt(byFile)}`
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(summariseProfile(process.argv[2], Number(process.argv[3] ?? 40)))
