/** "Did you mean ...?" suggestions for unknown keys. */

/** Levenshtein distance (insertions, deletions, substitutions all cost 1). */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost)
    }
    previous = current
  }
  return previous[b.length] as number
}

/**
 * The known key closest to `key` (compared case-insensitively), or undefined when none is close:
 * the distance may be at most a third of the key's length (at least 1, at most 3), and a key that
 * differs only in case always qualifies.
 */
export function closestKey(key: string, known: Iterable<string>): string | undefined {
  const lower = key.toLowerCase()
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)))
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of known) {
    const distance = levenshtein(lower, candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= limit ? best : undefined
}
