/**
 * Holds kept in this process's memory: until when a key is held (a time of the caller's clock),
 * each forgotten once its time to live has passed. Used by MemoryCounters, and by RedisCounters
 * while Redis cannot be reached.
 */
export class MemoryHolds {
  private readonly holds = new Map<string, { until: number; forgetAt: number }>();
  /** The size at which expired holds are next swept out, so that the map cannot grow without end. */
  private sweepAt = 1024;

  hold(bucket: string, key: string, until: number, ttlS: number): void {
    const name = `${bucket}:${key}`;
    const now = Date.now();
    const current = this.live(name, now);
    if (current !== undefined && current.until >= until) return;
    this.holds.set(name, { until, forgetAt: now + ttlS * 1000 });
    if (this.holds.size >= this.sweepAt) this.sweep(now);
  }

  heldUntil(bucket: string, key: string): number {
    return this.live(`${bucket}:${key}`, Date.now())?.until ?? 0;
  }

  private live(name: string, now: number) {
    const entry = this.holds.get(name);
    if (entry !== undefined && entry.forgetAt <= now) {
      this.holds.delete(name);
      return undefined;
    }
    return entry;
  }

  private sweep(now: number): void {
    for (const [name, entry] of this.holds) if (entry.forgetAt <= now) this.holds.delete(name);
    this.sweepAt = Math.max(1024, this.holds.size * 2);
  }
}
