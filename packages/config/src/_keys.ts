/** Unknown / not-implemented key warnings, driven by the zod schemas' own key lists. */
import type { IssueCollector } from './_collector.ts'
import { joinPath } from './_describe.ts'
import { closestKey } from './_suggest.ts'
import type { LooseSchema } from './schema/_primitives.ts'

/** The keys a config object may hold. */
export interface KeySpec {
  /** Every key the schema knows (including the not-implemented ones). */
  readonly known: ReadonlySet<string>
  /** Keys of the original that restgate accepts but ignores (one warning each). */
  readonly notImplemented: ReadonlySet<string>
  /** Keys accepted silently and never suggested. */
  readonly silent: ReadonlySet<string>
}

/** Builds the key spec of a loose object schema. */
export function keySpecOf(schema: LooseSchema, notImplemented: readonly string[] = [], silent: readonly string[] = []): KeySpec {
  return {
    known: new Set(Object.keys(schema.shape)),
    notImplemented: new Set(notImplemented),
    silent: new Set(silent),
  }
}

/** Warns about every key of `value` the spec does not know (with the closest known key) or does not implement. */
export function checkKeys(collector: IssueCollector, path: string, value: Record<string, unknown>, spec: KeySpec): void {
  for (const key of Object.keys(value)) {
    if (spec.silent.has(key)) continue
    const at = joinPath(path, key)
    if (spec.notImplemented.has(key)) {
      collector.warn(at, 'not implemented by restgate; ignored')
      continue
    }
    if (spec.known.has(key)) continue
    const candidates = [...spec.known].filter((k) => !spec.notImplemented.has(k) && !spec.silent.has(k))
    const suggestion = closestKey(key, candidates)
    collector.warn(at, suggestion === undefined ? 'unknown key; ignored' : `unknown key; did you mean "${suggestion}"?`)
  }
}
