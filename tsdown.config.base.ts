import type { UserConfig } from 'tsdown'

/** Shared tsdown settings: every package builds `src/index.ts` (plus extra entries) to ESM + d.ts. */
export function baseConfig(entry: string[] = ['src/index.ts']): UserConfig {
  return {
    entry,
    format: ['esm'],
    dts: true,
    clean: true,
    platform: 'node',
    target: 'node20',
    unbundle: false,
  }
}
