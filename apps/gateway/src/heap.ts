/**
 * How far V8 lets the heap grow with garbage before a full collection. V8's own policy picks a
 * growth factor of up to 4× the live heap when the program allocates fast; through a downlink flood
 * that kept ~120 MB of heap (~210 MB RSS) for ~40 MB live. The gateway fixes the factor instead:
 * `--heap-growth 25` (the default) lets the old generation grow to live × 1.25 before its next full
 * collection, which cut that peak to ~155 MB RSS (BENCHMARKS.md, "Downlink"); `0` keeps V8's policy.
 */
import { setFlagsFromString } from 'node:v8'

export const DEFAULT_HEAP_GROWTH = 25

/** `--heap-growth`, else `$RESTGATE_HEAP_GROWTH`, else the default; a percentage 0–400 (0: V8's own policy). */
export function heapGrowthOf(flag: string | undefined, env: string | undefined): number | Error {
  const [value, from] = flag !== undefined ? [flag, '--heap-growth'] : env !== undefined && env !== '' ? [env, 'RESTGATE_HEAP_GROWTH'] : [undefined, '']
  if (value === undefined) return DEFAULT_HEAP_GROWTH
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 400) {
    return new Error(`${from}: expected a whole percentage 0-400 (0 = V8's own policy); got "${value}"`)
  }
  return n
}

/** Sets V8's heap growth factor for the rest of the process (read at every full collection). */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`)
}
