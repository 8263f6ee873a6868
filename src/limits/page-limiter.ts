import type { Counters } from '../core/start-limits.ts';
import { clientKey } from './client-key.ts';

/**
 * Limits the hosted login's requests per client IP (GET/POST /authorize and the /u/login forms,
 * default 120 a minute together): each one may write a login transaction or send a code. Counted
 * on the shared counters, so with Redis the limit holds across instances.
 */
export class PageLimiter {
  constructor(
    private readonly counters: Counters,
    private readonly perMinute: number,
  ) {}

  /** Counts one request for this IP: 0 when it may go on, else the seconds to wait. */
  async consume(ip: string): Promise<number> {
    return (await this.counters.hit('page_ip', clientKey(ip), this.perMinute, 60)).retryAfter;
  }
}
