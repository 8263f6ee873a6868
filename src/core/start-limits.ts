import { START_LIMIT_DEFAULTS } from '../config/schema.ts';
import type { Context } from './context.ts';
import { type AuthError, tooManyRequests } from './errors.ts';
import type { Application, Connection } from './model.ts';
import { appFields } from './tenant-log.ts';

/** The answer to a start past one of its limits. */
export function tooManyStarts(retryAfter: number, description: string): AuthError {
  return tooManyRequests(description, retryAfter);
}

/** A start refused by the limit named `limit`: counted, and written to the tenant log. */
function refused(
  ctx: Context,
  limit: string,
  app: Application,
  connection: Connection,
  identifier: string,
  error: AuthError,
): AuthError {
  ctx.metrics.rateLimitHit(limit);
  ctx.tenantLog.emit({
    type: 'api_limit',
    description: error.description,
    ...appFields(app),
    connection: connection.name,
    user_name: identifier,
    details: { limit },
  });
  return error;
}

/** The budgets a start on `connection` for `identifier` is counted against. */
function budgets(ctx: Context, connection: Connection, identifier: string) {
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
  ctx: Context,
  app: Application,
  connection: Connection,
  identifier: string,
): Promise<void> {
  const { key, cooldown, points, duration, perApp } = budgets(ctx, connection, identifier);
  if (cooldown > 0) {
    const hit = await ctx.counters.hit('start_cooldown', key, 1, cooldown);
    if (hit.retryAfter > 0) {
      const error = tooManyStarts(
        hit.retryAfter,
        'A code was sent moments ago. Wait before asking for another.',
      );
      throw refused(ctx, 'start_cooldown', app, connection, identifier, error);
    }
  }
  const perIdentifier = await ctx.counters.hit('start_identifier', key, points, duration);
  if (perIdentifier.retryAfter > 0) {
    const error = tooManyStarts(perIdentifier.retryAfter, 'Too many codes were asked for. Try again later.');
    throw refused(ctx, 'start_identifier', app, connection, identifier, error);
  }
  const appHit = await ctx.counters.hit('start_application', app.client_id, perApp, 3600);
  if (appHit.retryAfter > 0) {
    const error = tooManyStarts(appHit.retryAfter, 'Too many requests. Try again later.');
    throw refused(ctx, 'start_application', app, connection, identifier, error);
  }
}

/**
 * Gives back what limitStart counted, for a start the server failed to serve (its database was
 * away): a user who tries again through an outage is not locked out once it is over.
 */
export async function refundStart(
  ctx: Context,
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
