import { LRUCache } from 'lru-cache';

/**
 * What an instance has read of rows that change rarely and are read by every request (applications,
 * connections), kept for `ttlMs`. At most `maxEntries` are kept, the least recently used going
 * first, so keys an attacker invents cannot grow it without bound. An absent row is kept too: an
 * unknown client_id is read once, not at every request that names it.
 */
export class ReadCache<V> {
  /** Boxed: lru-cache keeps no undefined value, and "no such row" is an answer worth keeping. */
  private readonly entries: LRUCache<string, { value: V }> | undefined;
  /** Bumped by every forget: a read that began before one does not keep what it read. */
  private generation = 0;

  constructor(ttlMs: number, maxEntries = 1000, clock?: { now(): number }) {
    this.entries =
      ttlMs > 0
        ? new LRUCache({
            max: maxEntries,
            ttl: ttlMs,
            // Each look at the clock is exact (no timer to refresh a cached time).
            ttlResolution: 0,
            ...(clock && { perf: clock }),
          })
        : undefined;
  }

  /** The kept value, or `read()`'s (kept for next time). */
  async get(key: string, read: () => Promise<V>): Promise<V> {
    const entries = this.entries;
    if (!entries) return read();
    const kept = entries.get(key);
    if (kept) return kept.value;
    const generation = this.generation;
    // Its lifetime counts from before the read, so that another instance's change is seen within ttlMs.
    const start = entries.perf.now();
    const value = await read();
    if (generation === this.generation) entries.set(key, { value }, { start });
    return value;
  }

  /** Called after a write of the row: a read racing the write cannot put the old value back. */
  forget(key: string): void {
    this.generation++;
    this.entries?.delete(key);
  }
}
