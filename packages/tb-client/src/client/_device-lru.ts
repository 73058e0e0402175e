/**
 * A set of device names bounded to `max` entries: adding one more forgets the least recently used.
 * Holds the per-device state of the client (devices `connect`ed in a session, devices whose
 * connector description was sent), so memory stays bounded however many device names arrive.
 * Forgetting a device is harmless: it is `connect`ed (and described) again when it next sends.
 */
export class DeviceLru {
  readonly max: number
  readonly #set = new Set<string>()

  constructor(max: number) {
    this.max = max
  }

  get size(): number {
    return this.#set.size
  }

  /** Whether `device` is known; a hit makes it the most recently used. */
  has(device: string): boolean {
    const set = this.#set
    if (!set.has(device)) return false
    set.delete(device)
    set.add(device)
    return true
  }

  /** Adds `device` as the most recently used; forgets the least recently used beyond `max`. */
  add(device: string): void {
    const set = this.#set
    set.delete(device)
    set.add(device)
    if (set.size > this.max) set.delete(set.values().next().value as string)
  }

  clear(): void {
    this.#set.clear()
  }
}
