import { createRequire } from 'node:module';
import { RateLimiterRes, type RateLimiterStoreAbstract as StoreAbstract } from 'rate-limiter-flexible';

/**
 * The library's base of limiters over a store: what its README asks a new store to extend. Its
 * types declare it, but its index does not hand it out, so it is read from its own module.
 */
const RateLimiterStoreAbstract = createRequire(import.meta.url)(
  'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js',
) as typeof StoreAbstract;

/**
 * rate-limiter-flexible's limiter over counts kept in this process's memory, without a timer per
 * key. The library's RateLimiterMemory arms a timer per key to forget it (a Timeout, its closure
 * and a record: about 0.5 KB a key), and the per-identifier start limit makes a key for every
 * address that asks for a code, held for an hour: on one busy instance without Redis that was the
 * larger part of the memory it grew by. This is a store of the library's own kind (the
 * RateLimiterStoreAbstract its Redis, Memcache and SQL limiters extend, with its `_upsert`, `_get`,
 * `_delete` and `_getRateLimiterRes`), so consume, reward, block and delete stay the library's.
 */
export class MemoryLimiter extends RateLimiterStoreAbstract {
  /** The counts (exposed for the tests, which check that expired ones go). */
  readonly counts: CompactStorage;

  constructor(keyPrefix: string, points: number, durationS: number) {
    const counts = new CompactStorage();
    super({ keyPrefix, points, duration: durationS, storeClient: counts });
    this.counts = counts;
  }

  protected _getRateLimiterRes(_rlKey: string, changedPoints: number, stored: StoreResult): RateLimiterRes {
    return new RateLimiterRes(
      Math.max(this.points - stored.consumedPoints, 0),
      stored.msBeforeNext,
      stored.consumedPoints,
      stored.consumedPoints === changedPoints,
    );
  }

  protected async _upsert(
    rlKey: string,
    points: number,
    msDuration: number,
    forceExpire = false,
  ): Promise<StoreResult> {
    return forceExpire
      ? this.counts.set(rlKey, points, msDuration)
      : this.counts.incrby(rlKey, points, msDuration);
  }

  protected async _get(rlKey: string): Promise<StoreResult | null> {
    return this.counts.get(rlKey);
  }

  protected async _delete(rlKey: string): Promise<boolean> {
    return this.counts.delete(rlKey);
  }
}

/** A limiter of `points` per `durationS` over memory (see MemoryLimiter). */
export function memoryLimiter(keyPrefix: string, points: number, durationS: number): MemoryLimiter {
  return new MemoryLimiter(keyPrefix, points, durationS);
}

/** What the store answers the library with: the count, and the milliseconds its window has left (-1: none). */
interface StoreResult {
  consumedPoints: number;
  msBeforeNext: number;
}

function result(entry: Entry, now: number): StoreResult {
  return { consumedPoints: entry.value, msBeforeNext: entry.expiresAt === 0 ? -1 : entry.expiresAt - now };
}

/** A count, when it is forgotten (milliseconds since the epoch; 0: never), and its key. */
interface Entry {
  key: string;
  value: number;
  expiresAt: number;
}

/**
 * The counts of one limiter, on a Map and a queue of them in the order they were set. Every key of a limiter lives as long
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

  /** Adds `value` to the key's count, starting a new window of `durationMs` if it has none. */
  incrby(key: string, value: number, durationMs: number): StoreResult {
    const now = Date.now();
    this.dropExpired(now);
    const entry = this.live(key, now);
    if (entry === undefined) return this.set(key, value, durationMs);
    entry.value += value;
    return result(entry, now);
  }

  /** Sets the key's count to `value` for a new window of `durationMs` (0: for ever). */
  set(key: string, value: number, durationMs: number): StoreResult {
    const now = Date.now();
    this.dropExpired(now);
    const entry: Entry = { key, value: Math.trunc(value), expiresAt: durationMs > 0 ? now + durationMs : 0 };
    this.entries.set(key, entry);
    if (entry.expiresAt !== 0) this.queue.push(entry);
    return result(entry, now);
  }

  get(key: string): StoreResult | null {
    const now = Date.now();
    const entry = this.live(key, now);
    return entry === undefined ? null : result(entry, now);
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
