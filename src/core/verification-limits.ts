import { BRUTE_FORCE_DEFAULTS } from '../config/schema.ts';
import { clientKey } from './client-key.ts';
import type { Context } from './context.ts';
import { tooManyRequests } from './errors.ts';
import type { Connection } from './model.ts';

/*
 * Two limits on guessing codes, on top of each code's own `max_attempts` (docs/security.md):
 *
 * - Per client IP (`rate_limits.verify_failures_per_ip` per `verify_failures_window_s`): every
 *   verification is counted before it runs and given back when it succeeds, so only failures
 *   add up; past the limit the IP's verifications get an explicit `429 too_many_requests`.
 * - Per identifier (the connection's `brute_force_protection` and `brute_force`): wrong codes
 *   for one email or number, across its codes, are counted; from the `failures`-th on, its
 *   verifications are locked for `lock_s`, doubled by each further wrong code, at most
 *   `max_lock_s`. A locked check answers as a wrong code does and compares nothing, so the lock
 *   tells a guesser neither that it holds nor whether a guess was right. A login forgets the count.
 *
 * The counts live in `ctx.counters` (shared through Redis when it is configured); the time a lock
 * ends is a time of `ctx.clock`.
 */

/** Counts one verification from `ip` before it runs; throws 429 once the IP has failed too often. */
export async function admitVerification(ctx: Context, ip: string): Promise<void> {
  const { verify_failures_per_ip: limit, verify_failures_window_s: windowS } = ctx.config.rate_limits;
  const hit = await ctx.counters.hit('verify_ip', clientKey(ip), limit, windowS);
  if (hit.retryAfter === 0) return;
  ctx.metrics.rateLimitHit('verify_ip');
  ctx.tenantLog.emit({
    type: 'limit_mu',
    description: 'Too many failed verifications from this IP address',
    ip,
  });
  throw tooManyRequests('Too many failed verifications. Try again later.', hit.retryAfter);
}

/** Whether `identifier`'s verifications are locked now. */
export async function identifierLocked(
  ctx: Context,
  connection: Connection,
  identifier: string,
): Promise<boolean> {
  if (!protects(connection)) return false;
  return (await ctx.counters.heldUntil('verify_lock', lockKey(connection, identifier))) > ctx.clock.now();
}

/** Counts a wrong code for `identifier`, and locks its verifications from the `failures`-th on. */
export async function countWrongCode(
  ctx: Context,
  connection: Connection,
  identifier: string,
): Promise<void> {
  if (!protects(connection)) return;
  const policy = bruteForcePolicy(connection);
  const key = lockKey(connection, identifier);
  const hit = await ctx.counters.hit('verify_identifier', key, policy.failures, policy.window_s);
  if (hit.consumed < policy.failures) return;
  const lockS = Math.min(policy.max_lock_s, policy.lock_s * 2 ** (hit.consumed - policy.failures));
  ctx.metrics.identifierLocked();
  ctx.tenantLog.emit({
    type: 'limit_wc',
    description: `Verifications locked for ${lockS} s after ${hit.consumed} wrong codes`,
    connection: connection.name,
    user_name: identifier,
  });
  // Kept a minute past its end, so that instances whose clocks run a little behind still see it.
  await ctx.counters.hold('verify_lock', key, ctx.clock.now() + lockS * 1000, lockS + 60);
}

/** A verification succeeded: its IP's count is given back, and its identifier's wrong codes forgotten. */
export async function settleVerification(
  ctx: Context,
  connection: Connection,
  identifier: string,
  ip: string,
): Promise<void> {
  const { verify_failures_per_ip: limit, verify_failures_window_s: windowS } = ctx.config.rate_limits;
  const policy = bruteForcePolicy(connection);
  await Promise.all([
    ctx.counters.refund('verify_ip', clientKey(ip), limit, windowS),
    protects(connection) &&
      ctx.counters.reset(
        'verify_identifier',
        lockKey(connection, identifier),
        policy.failures,
        policy.window_s,
      ),
  ]);
}

/** On unless the connection turns it off (a connection stored before the option existed has it on). */
function protects(connection: Connection): boolean {
  return connection.options.brute_force_protection !== false;
}

function bruteForcePolicy(connection: Connection) {
  const options = connection.options.brute_force;
  return {
    failures: options?.failures ?? BRUTE_FORCE_DEFAULTS.failures,
    lock_s: options?.lock_s ?? BRUTE_FORCE_DEFAULTS.lock_s,
    max_lock_s: options?.max_lock_s ?? BRUTE_FORCE_DEFAULTS.max_lock_s,
    window_s: options?.window_s ?? BRUTE_FORCE_DEFAULTS.window_s,
  };
}

function lockKey(connection: Connection, identifier: string): string {
  return `${connection.name}:${identifier}`;
}
