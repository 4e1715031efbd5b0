/**
 * A map that keeps at most `maxEntries`, dropping the least recently used entry first: for caches
 * a long-running process fills across cycles (a `pulse worker` runs for weeks).
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
    this.#maxEntries = maxEntries;
  }

  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    // Map keeps insertion order: re-inserting makes the entry the most recently used.
    const value = this.#entries.get(key)!;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as K);
    return this;
  }

  get size(): number {
    return this.#entries.size;
  }
}
