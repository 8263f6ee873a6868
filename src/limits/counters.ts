import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Counters, Hit } from '../core/start-limits.ts';

/**
 * The start and SMS counters, in this process's memory. One rate-limiter-flexible limiter is made
 * per bucket and limit, so a connection whose limits change starts counting afresh; a Redis store
 * is the same class over RateLimiterRedis.
 */
export class MemoryCounters implements Counters {
  private readonly limiters = new Map<string, RateLimiterMemory>();

  async hit(bucket: string, key: string, limit: number, windowS: number): Promise<Hit> {
    const limiter = this.limiter(bucket, limit, windowS);
    try {
      const res = await limiter.consume(key);
      return { retryAfter: 0, consumed: res.consumedPoints };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return {
        retryAfter: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
        consumed: rejection.consumedPoints,
      };
    }
  }

  async ping(): Promise<void> {}

  private limiter(bucket: string, limit: number, windowS: number): RateLimiterMemory {
    const name = `${bucket}:${limit}:${windowS}`;
    let limiter = this.limiters.get(name);
    if (!limiter) {
      limiter = new RateLimiterMemory({ keyPrefix: name, points: limit, duration: windowS });
      this.limiters.set(name, limiter);
    }
    return limiter;
  }
}
