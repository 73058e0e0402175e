export { sampleRecord, testStorageBackend } from './conformance.ts'
export type { DurabilityProbe, StorageFactory, StorageFactoryOptions, StorageSuiteOptions } from './conformance.ts'
