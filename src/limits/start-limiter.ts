import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AuthError } from '../core/errors.ts';

/** Limits `/passwordless/start` per client IP (default 50 an hour). */
export class StartLimiter {
  private readonly perIp: RateLimiterMemory;

  constructor(perHour: number) {
    this.perIp = new RateLimiterMemory({ keyPrefix: 'start_ip', points: perHour, duration: 3600 });
  }

  /** Counts one start for this IP; throws 429 `too_many_requests` past the limit. */
  async consume(ip: string): Promise<void> {
    try {
      await this.perIp.consume(ip);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new AuthError(429, 'too_many_requests', 'Too many requests. Try again later.', {
        'retry-after': String(seconds),
      });
    }
  }
}
