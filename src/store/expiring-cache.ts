/**
 * A small map whose entries expire `ttlMs` after they were set, holding at most `maxEntries` (it
 * empties itself past that, so keys an attacker invents cannot grow it without bound).
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  /** Bumped by every delete: a load that began before one does not cache what it read. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached value, or `load()`'s (cached for next time). */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry && entry.until > now) return entry.value;
    const generation = this.generation;
    const value = await load();
    if (this.ttlMs > 0 && generation === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { value, until: now + this.ttlMs });
    }
    return value;
  }

  delete(key: string): void {
    this.generation++;
    this.entries.delete(key);
  }
}
