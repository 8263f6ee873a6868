import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Counters, Hit } from '../core/start-limits.ts';
import { MemoryHolds } from './holds.ts';

/**
 * The rate limits, budgets and holds, in this process's memory. One rate-limiter-flexible limiter is made
 * per bucket and limit, so a connection whose limits change starts counting afresh; a Redis store
 * is the same class over RateLimiterRedis.
 */
export class MemoryCounters implements Counters {
  private readonly limiters = new Map<string, RateLimiterMemory>();
  private readonly holds = new MemoryHolds();

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

  async refund(bucket: string, key: string, limit: number, windowS: number): Promise<void> {
    await this.limiter(bucket, limit, windowS).reward(key, 1);
  }

  async reset(bucket: string, key: string, limit: number, windowS: number): Promise<void> {
    await this.limiter(bucket, limit, windowS).delete(key);
  }

  async hold(bucket: string, key: string, until: number, ttlS: number): Promise<void> {
    this.holds.hold(bucket, key, until, ttlS);
  }

  async heldUntil(bucket: string, key: string): Promise<number> {
    return this.holds.heldUntil(bucket, key);
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
