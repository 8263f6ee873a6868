import { AuthError } from '../core/errors.ts';
import type { Counters } from '../core/start-limits.ts';
import type { Metrics } from '../metrics.ts';

/**
 * Limits `/passwordless/start` per client IP (default 50 an hour), on the shared counters: with
 * Redis, one limit for every instance.
 */
export class StartLimiter {
  constructor(
    private readonly counters: Counters,
    private readonly perHour: number,
    private readonly metrics: Metrics,
  ) {}

  /** Counts one start for this IP; throws 429 `too_many_requests` past the limit. */
  async consume(ip: string): Promise<void> {
    const hit = await this.counters.hit('start_ip', ip, this.perHour, 3600);
    if (hit.retryAfter === 0) return;
    this.metrics.rateLimitHit('start_ip');
    throw new AuthError(429, 'too_many_requests', 'Too many requests. Try again later.', {
      'retry-after': String(hit.retryAfter),
    });
  }
}
