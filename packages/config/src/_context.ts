import type { IssueCollector } from './_collector.ts'
import { joinPath } from './_describe.ts'
import { checkKeys, type KeySpec } from './_keys.ts'
import { firstOf, isObject, type RawObject } from './_raw.ts'

/** What every normalising step needs: where issues go and the folder relative paths resolve against. */
export interface NormaliseContext {
  readonly collector: IssueCollector
  readonly configDir: string
}

/** The object at `value` with its keys checked, or undefined when it is not an object (zod reported that). */
export function section(ctx: NormaliseContext, value: unknown, path: string, spec: KeySpec | undefined): RawObject | undefined {
  if (!isObject(value)) return undefined
  if (spec !== undefined) checkKeys(ctx.collector, path, value, spec)
  return value
}

/** The first present spelling of a key; warns when several spellings are given. */
export function pickSpelling(ctx: NormaliseContext, object: RawObject, path: string, keys: readonly string[]): { key: string; value: unknown } | undefined {
  const found = firstOf(object, keys)
  if (found === undefined) return undefined
  for (const other of found.others) ctx.collector.warn(joinPath(path, other), `also given as "${found.key}"; using "${found.key}"`)
  return { key: found.key, value: found.value }
}
