/** One count against a limit: `retryAfter` is 0 while under it, else the seconds until the window ends. */
export interface Hit {
  retryAfter: number;
  /** Hits in the current window, this one included. */
  consumed: number;
}

/**
 * Fixed-window counters (src/limits/counters.ts keeps them in memory, src/limits/redis-counters.ts
 * in Redis). `bucket` names the limit, `key` what it counts; a limit is `limit` hits per `windowS`.
 * The windows run on real time; holds compare times of the caller's clock.
 */
export interface Counters {
  hit(bucket: string, key: string, limit: number, windowS: number): Promise<Hit>;
  /** Takes back one hit that `hit` with the same arguments counted (a request that proved good). */
  refund(bucket: string, key: string, limit: number, windowS: number): Promise<void>;
  /** Forgets every hit that `hit` with the same arguments counted for `key`. */
  reset(bucket: string, key: string, limit: number, windowS: number): Promise<void>;
  /**
   * Holds `key` until `until` (milliseconds on the caller's clock), unless it is held longer
   * already; the hold is forgotten `ttlS` seconds from now whatever its time.
   */
  hold(bucket: string, key: string, until: number, ttlS: number): Promise<void>;
  /** Until when `hold` holds `key` (the caller's clock), or 0. */
  heldUntil(bucket: string, key: string): Promise<number>;
  /** Resolves when the counters' backing service answers (readiness); in memory, always. */
  ping(): Promise<void>;
  /** Lets go of the backing service's connection, if any. */
  close?(): Promise<void>;
}
