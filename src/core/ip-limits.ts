import { clientKey } from './client-key.ts';
import type { Context } from './context.ts';
import { tooManyRequests } from './errors.ts';
import type { Counters } from './ports/counters.ts';
import { powRequired, redeemSolution } from './proof-of-work.ts';

/**
 * Limits `/passwordless/start` per client IP (default 50 an hour), on the shared counters: with
 * Redis, one limit for every instance. With `proof_of_work` on, an IP past
 * `after_starts_per_ip` in the hour must also send a solved challenge with each start.
 */
export class StartLimiter {
  constructor(private readonly ctx: Context) {}

  /**
   * Counts one start for this IP; throws 429 `too_many_requests` past the limit, and 400
   * `pow_required` (with a fresh challenge) past the proof-of-work threshold without a good
   * solution. `pow` is what the request presented as its solution, if anything.
   */
  async consume(ip: string, pow?: unknown): Promise<void> {
    const { counters, config, metrics } = this.ctx;
    const perHour = config.rate_limits.start_per_ip_per_hour;
    const hit = await counters.hit('start_ip', clientKey(ip), perHour, 3600);
    if (hit.retryAfter > 0) {
      metrics.rateLimitHit('start_ip');
      this.ctx.tenantLog.emit({
        type: 'api_limit',
        description: 'Too many starts from this IP address',
        ip,
        details: { limit: 'start_ip' },
      });
      throw tooManyRequests('Too many requests. Try again later.', hit.retryAfter);
    }
    const proof = config.proof_of_work;
    if (!proof.enabled || hit.consumed <= proof.after_starts_per_ip) return;
    const outcome = await redeemSolution(this.ctx, ip, pow);
    metrics.proofOfWork(outcome);
    if (outcome === 'solved') return;
    // Only starts that go on count toward the hourly limit: asking for a challenge costs none.
    await counters.refund('start_ip', clientKey(ip), perHour, 3600);
    throw powRequired(this.ctx, ip);
  }
}

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
