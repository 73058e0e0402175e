/**
 * `@restgate/storage/testing`: the conformance suite every backend runs (it registers vitest
 * tests), and the tmpfs helper its disk-fault checks use.
 */
export { sampleRecord, testStorageBackend } from './conformance.ts'
export type { DurabilityProbe, StorageFactory, StorageFactoryOptions, StorageSuiteOptions, StoredFaults } from './conformance.ts'
export { mountTmpfs } from './tmpfs.ts'
export type { Tmpfs } from './tmpfs.ts'
