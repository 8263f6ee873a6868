import { TTLCache } from '@isaacs/ttlcache';

/**
 * Holds kept in this process's memory: until when a key is held (a time of the caller's clock),
 * each forgotten once its time to live has passed. Used by MemoryCounters, and by RedisCounters
 * while Redis cannot be reached.
 */
export class MemoryHolds {
  // One timer for the soonest expiry, not one per key; a hold past its time is never answered.
  private readonly holds = new TTLCache<string, number>({ checkAgeOnGet: true });

  hold(bucket: string, key: string, until: number, ttlS: number): void {
    const name = `${bucket}:${key}`;
    const current = this.holds.get(name);
    if (current !== undefined && current >= until) return;
    this.holds.set(name, until, { ttl: ttlS * 1000 });
  }

  heldUntil(bucket: string, key: string): number {
    return this.holds.get(`${bucket}:${key}`) ?? 0;
  }
}
