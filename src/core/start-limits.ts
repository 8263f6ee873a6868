import { START_LIMIT_DEFAULTS } from '../config/schema.ts';
import type { Tessera } from './context.ts';
import { AuthError } from './errors.ts';
import type { Application, Connection } from './model.ts';

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

/** The answer to a start past one of its limits. */
export function tooManyStarts(retryAfter: number, description: string): AuthError {
  return new AuthError(429, 'too_many_requests', description, { 'retry-after': String(retryAfter) });
}

/** The budgets a start on `connection` for `identifier` is counted against. */
function budgets(ctx: Tessera, connection: Connection, identifier: string) {
  const limits = connection.options.start_limits;
  return {
    key: `${connection.name}:${identifier}`,
    cooldown: limits?.resend_cooldown_s ?? START_LIMIT_DEFAULTS.resend_cooldown_s,
    points: limits?.per_identifier?.points ?? START_LIMIT_DEFAULTS.points,
    duration: limits?.per_identifier?.duration_s ?? START_LIMIT_DEFAULTS.duration_s,
    perApp: ctx.config.rate_limits.start_per_application_per_hour,
  };
}

/**
 * Counts a start that passed validation against its identifier's cooldown and budget and its
 * application's hourly budget; throws 429 `too_many_requests` past any of them. The identifier is
 * counted first, so one hammered address cannot use up its application's budget.
 */
export async function limitStart(
  ctx: Tessera,
  app: Application,
  connection: Connection,
  identifier: string,
): Promise<void> {
  const { key, cooldown, points, duration, perApp } = budgets(ctx, connection, identifier);
  if (cooldown > 0) {
    const hit = await ctx.counters.hit('start_cooldown', key, 1, cooldown);
    if (hit.retryAfter > 0) {
      ctx.metrics.rateLimitHit('start_cooldown');
      throw tooManyStarts(hit.retryAfter, 'A code was sent moments ago. Wait before asking for another.');
    }
  }
  const perIdentifier = await ctx.counters.hit('start_identifier', key, points, duration);
  if (perIdentifier.retryAfter > 0) {
    ctx.metrics.rateLimitHit('start_identifier');
    throw tooManyStarts(perIdentifier.retryAfter, 'Too many codes were asked for. Try again later.');
  }
  const appHit = await ctx.counters.hit('start_application', app.client_id, perApp, 3600);
  if (appHit.retryAfter > 0) {
    ctx.metrics.rateLimitHit('start_application');
    throw tooManyStarts(appHit.retryAfter, 'Too many requests. Try again later.');
  }
}

/**
 * Gives back what limitStart counted, for a start the server failed to serve (its database was
 * away): a user who tries again through an outage is not locked out once it is over.
 */
export async function refundStart(
  ctx: Tessera,
  app: Application,
  connection: Connection,
  identifier: string,
): Promise<void> {
  const { key, cooldown, points, duration, perApp } = budgets(ctx, connection, identifier);
  await Promise.all([
    cooldown > 0 ? ctx.counters.reset('start_cooldown', key, 1, cooldown) : undefined,
    ctx.counters.refund('start_identifier', key, points, duration),
    ctx.counters.refund('start_application', app.client_id, perApp, 3600),
  ]);
}
