import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Limits the hosted login's requests per client IP (GET/POST /authorize and the /u/login forms,
 * default 120 a minute together): each one may write a login transaction or send a code.
 */
export class PageLimiter {
  private readonly perIp: RateLimiterMemory;

  constructor(perMinute: number) {
    this.perIp = new RateLimiterMemory({ keyPrefix: 'page_ip', points: perMinute, duration: 60 });
  }

  /** Counts one request for this IP: 0 when it may go on, else the seconds to wait. */
  async consume(ip: string): Promise<number> {
    try {
      await this.perIp.consume(ip);
      return 0;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    }
  }
}
