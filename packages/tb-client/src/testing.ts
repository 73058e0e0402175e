export { sampleRecord, testStorageBackend } from './storage/conformance.ts'
export type { StorageFactory, StorageFactoryOptions, StorageSuiteOptions } from './storage/conformance.ts'
