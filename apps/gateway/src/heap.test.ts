import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { DEFAULT_HEAP_GROWTH, heapGrowthOf } from './heap.ts'

describe('heap growth', () => {
  it('takes --heap-growth, else $RESTGATE_HEAP_GROWTH, else the default', () => {
    expect(heapGrowthOf(undefined, undefined)).toBe(DEFAULT_HEAP_GROWTH)
    expect(heapGrowthOf(undefined, '')).toBe(DEFAULT_HEAP_GROWTH)
    expect(heapGrowthOf(undefined, '50')).toBe(50)
    expect(heapGrowthOf('0', '50')).toBe(0)
    expect(heapGrowthOf('400', undefined)).toBe(400)
  })

  it('refuses what is not a whole percentage 0-400, naming where it came from', () => {
    for (const bad of ['-1', '401', '2.5', 'abc', ' ']) {
      expect(heapGrowthOf(bad, undefined)).toEqual(new Error(`--heap-growth: expected a whole percentage 0-400 (0 = V8's own policy); got "${bad}"`))
    }
    expect(heapGrowthOf(undefined, 'x')).toMatchObject({ message: expect.stringMatching(/^RESTGATE_HEAP_GROWTH: .*"x"$/) })
  })

  it("sets a flag this Node's V8 has (setFlagsFromString ignores unknown ones silently)", () => {
    expect(execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' })).toMatch(/^\s*--heap-growing-percent\b/m)
  })
})
