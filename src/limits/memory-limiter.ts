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

/** A count, when it is forgotten (milliseconds since the epoch; 0: never), and its key. */
interface Entry {
  key: string;
  value: number;
  expiresAt: number;
}

/**
 * The interface of rate-limiter-flexible's MemoryStorage (incrby, set, get, delete), on a Map of
 * the counts and a queue of them in the order they were set. Every key of a limiter lives as long
 * (its window), so the queue is in the order of expiry: expired counts are dropped from its head
 * as keys are counted, each once, with no timer at all and no walk over the map. A count set with
 * another duration (a block) may wait in the queue behind a later one for a while; it is still
 * answered right, because every read checks the time. Counts without a duration (none of
 * Tessera's limits has one) are not queued.
 */
export class CompactStorage {
  private readonly entries = new Map<string, Entry>();
  private queue: Entry[] = [];
  private head = 0;

  /** Adds `value` to the key's count, starting a new window of `durationS` if it has none. */
  incrby(key: string, value: number, durationS: number): RateLimiterRes {
    const now = Date.now();
    this.dropExpired(now);
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
    const entry: Entry = { key, value: Math.trunc(value), expiresAt: durationMs > 0 ? now + durationMs : 0 };
    this.entries.set(key, entry);
    if (entry.expiresAt !== 0) this.queue.push(entry);
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

  /**
   * Forgets the expired counts at the head of the queue. A queued count its key no longer holds
   * (set anew, or deleted) is only taken off the queue.
   */
  private dropExpired(now: number): void {
    const queue = this.queue;
    while (this.head < queue.length) {
      const entry = queue[this.head] as Entry;
      if (entry.expiresAt > now) break;
      if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
      this.head++;
    }
    // The queue's dead head is cut off once it is most of the array (amortised: each count once).
    if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }
}
