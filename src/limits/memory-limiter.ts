import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * rate-limiter-flexible's in-memory limiter, keeping its counts in a CompactStorage instead of its
 * own storage. The library's storage arms a timer per key to forget it (a Timeout, its closure and
 * a record: about 0.5 KB a key), and the per-identifier start limit makes a key for every address
 * that asks for a code, held for an hour: on one busy instance without Redis that was the larger part
 * of the memory it grew by. The limiter's logic (consume, reward, block, delete) stays the
 * library's; only where it keeps a count changes.
 */
export function memoryLimiter(keyPrefix: string, points: number, durationS: number): RateLimiterMemory {
  const limiter = new RateLimiterMemory({ keyPrefix, points, duration: durationS });
  const internals = limiter as unknown as { _memoryStorage?: unknown };
  // The library keeps its storage in this field; should a version stop doing so, fail at once
  // rather than keep a timer per key unnoticed (the counters contract test starts a limiter).
  if (internals._memoryStorage === undefined)
    throw new Error('rate-limiter-flexible no longer keeps RateLimiterMemory._memoryStorage');
  internals._memoryStorage = new CompactStorage();
  return limiter;
}

/** A count and when it is forgotten (milliseconds since the epoch; 0: never). */
interface Entry {
  value: number;
  expiresAt: number;
}

/**
 * The interface of rate-limiter-flexible's MemoryStorage (incrby, set, get, delete), on one Map in
 * the order of expiry: every key of a limiter lives as long (its window), and a key set anew moves
 * to the end, so expired keys are always at the front and are dropped from there as new keys come,
 * with no timer at all. A key set with another duration (a block) may sit behind an expired one for
 * a while; it is still answered right, because every read checks the time. Keys without a duration
 * (none of Tessera's limits has one) are passed over.
 */
export class CompactStorage {
  private readonly entries = new Map<string, Entry>();

  /** Adds `value` to the key's count, starting a new window of `durationS` if it has none. */
  incrby(key: string, value: number, durationS: number): RateLimiterRes {
    const now = Date.now();
    const entry = this.live(key, now);
    if (entry === undefined) return this.set(key, value, durationS);
    entry.value += value;
    return new RateLimiterRes(0, entry.expiresAt === 0 ? -1 : entry.expiresAt - now, entry.value, false);
  }

  /** Sets the key's count to `value` for a new window of `durationS` (0: for ever). */
  set(key: string, value: number, durationS: number): RateLimiterRes {
    const now = Date.now();
    this.dropExpired(now);
    const durationMs = durationS * 1000;
    this.entries.delete(key);
    const entry: Entry = { value: Math.trunc(value), expiresAt: durationMs > 0 ? now + durationMs : 0 };
    this.entries.set(key, entry);
    return new RateLimiterRes(0, durationMs > 0 ? durationMs : -1, entry.value, true);
  }

  get(key: string): RateLimiterRes | null {
    const now = Date.now();
    const entry = this.live(key, now);
    if (entry === undefined) return null;
    return new RateLimiterRes(0, entry.expiresAt === 0 ? -1 : entry.expiresAt - now, entry.value, false);
  }

  delete(key: string): boolean {
    const entry = this.live(key, Date.now());
    return entry !== undefined && this.entries.delete(key);
  }

  /** How many keys are held, expired or not (for the tests). */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt === 0 || entry.expiresAt > now) return entry;
    this.entries.delete(key);
    return undefined;
  }

  /** Forgets the expired keys at the front (each key is dropped once, so this costs nothing on average). */
  private dropExpired(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt === 0) continue; // never expires (no limiter here sets one)
      if (entry.expiresAt > now) return;
      this.entries.delete(key);
    }
  }
}
