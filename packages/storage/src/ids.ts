/**
 * Record ids are JavaScript numbers, exact up to 2^53. Files can hold any id (hand-edited, damaged,
 * hostile: e.g. Number.MAX_SAFE_INTEGER); when the next id is at or above this at open, the durable
 * backends renumber their records from 1, in order, so new ids never collide. 2^48 ids last nine
 * years at a million records a second.
 */
export const ID_COMPACT_AT: number = 2 ** 48
