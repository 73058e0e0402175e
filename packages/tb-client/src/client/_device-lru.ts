/**
 * A set of device names bounded to `max` entries: adding one more forgets the least recently used.
 * Holds the per-device state of the client (devices `connect`ed in a session, devices whose
 * connector description was sent), so memory stays bounded however many device names arrive.
 * Forgetting a device is harmless: it is `connect`ed (and described) again when it next sends.
 *
 * Recency is kept in epochs of max/8 moves: a hit moves a device to the most recent end only when
 * it was last moved in an earlier epoch, so a hot device costs one map lookup, and the order is
 * exact up to one epoch (exact LRU for max < 16).
 */
export class DeviceLru {
  readonly max: number
  /** Device → epoch of its last move; iteration order is recency order (oldest first). */
  readonly #map = new Map<string, number>()
  /** Device → when it was last added with a time (see {@link addedAt}). */
  readonly #at = new Map<string, number>()
  readonly #epochSize: number
  #epoch = 0
  #moves = 0

  constructor(max: number) {
    this.max = max
    this.#epochSize = Math.max(1, Math.floor(max / 8))
  }

  get size(): number {
    return this.#map.size
  }

  /** Whether `device` is known; a hit makes it (one of) the most recently used. */
  has(device: string): boolean {
    const epoch = this.#map.get(device)
    if (epoch === undefined) return false
    if (epoch !== this.#epoch) this.#moveToEnd(device)
    return true
  }

  /** Adds `device` as the most recently used (at time `at`, when given); forgets the least recently used beyond `max`. */
  add(device: string, at?: number): void {
    this.#moveToEnd(device)
    if (at !== undefined) this.#at.set(device, at)
    if (this.#map.size > this.max) {
      const oldest = this.#map.keys().next().value as string
      this.#map.delete(oldest)
      this.#at.delete(oldest)
    }
  }

  /** The time `device` was last added with one; undefined when it is unknown or was added without a time. */
  addedAt(device: string): number | undefined {
    return this.#map.has(device) ? this.#at.get(device) : undefined
  }

  clear(): void {
    this.#map.clear()
    this.#at.clear()
  }

  #moveToEnd(device: string): void {
    this.#map.delete(device)
    this.#map.set(device, this.#epoch)
    if (++this.#moves >= this.#epochSize) {
      this.#moves = 0
      this.#epoch++
    }
  }
}
