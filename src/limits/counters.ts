import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { Counters, Hit } from '../core/ports/counters.ts';
import { MemoryHolds } from './holds.ts';
import { memoryLimiter } from './memory-limiter.ts';

/**
 * What every Counters implementation shares: one rate-limiter-flexible limiter per bucket and
 * limit (so a connection whose limits change starts counting afresh), and how a consume maps to a
 * Hit. Subclasses say which limiter to make.
 */
export abstract class LimiterCounters {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  protected abstract makeLimiter(name: string, points: number, durationS: number): RateLimiterAbstract;

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

  private limiter(bucket: string, limit: number, windowS: number): RateLimiterAbstract {
    const name = `${bucket}:${limit}:${windowS}`;
    let limiter = this.limiters.get(name);
    if (!limiter) {
      limiter = this.makeLimiter(name, limit, windowS);
      this.limiters.set(name, limiter);
    }
    return limiter;
  }
}

/** The rate limits, budgets and holds, in this process's memory. */
export class MemoryCounters extends LimiterCounters implements Counters {
  private readonly holds = new MemoryHolds();

  protected makeLimiter(name: string, points: number, durationS: number): RateLimiterAbstract {
    return memoryLimiter(name, points, durationS);
  }

  async hold(bucket: string, key: string, until: number, ttlS: number): Promise<void> {
    this.holds.hold(bucket, key, until, ttlS);
  }

  async heldUntil(bucket: string, key: string): Promise<number> {
    return this.holds.heldUntil(bucket, key);
  }

  async ping(): Promise<void> {}
}
