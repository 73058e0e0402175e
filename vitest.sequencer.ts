import { relative } from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Known long files (end-to-end, browser, fault and storage-crash tests: tens of seconds each) for a
 * first run, before vitest has the durations of a previous run in its cache.
 */
const LONG = /\.(e2e|browser)\.test\.ts$|\/test\/faults\/|\/storage\/src\/sqlite\.test\.ts$|\/storage\/test\/crash\.test\.ts$/

/**
 * Longest files first, across all projects (vitest's own order runs project after project, which
 * left a long file of a late project alone at the end): by the duration of the previous run when
 * vitest's cache has it, else known long files first. With the workers sized to the machine, the
 * short files then fill the gaps, and the run ends with short files instead of one long tail.
 */
export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = (this.ctx as unknown as { cache?: { getFileTestResults(key: string): { duration?: number } | undefined } }).cache
    const root = this.ctx.config.root
    const weight = (spec: TestSpecification): number => {
      const cached = cache?.getFileTestResults(`${spec.project.name}:${relative(root, spec.moduleId)}`)?.duration
      if (typeof cached === 'number' && cached > 0) return cached
      return LONG.test(spec.moduleId) ? 30_000 : 0
    }
    const weights = new Map(files.map((f) => [f, weight(f)]))
    return (await super.sort(files)).toSorted((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0))
  }
}
