import type { Tessera } from './context.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Rows one purge deletes from each table at most; the next run takes the rest. */
export const PURGE_LIMIT = 1000;

/** How long what is over stays before it goes. */
const KEEP = {
  // A refresh token replayed soon after it ran out or was revoked is still recognised as one.
  refreshTokens: DAY_MS,
  // A message's outcome and attempts stay for a week, to answer "did my code go out?".
  outbox: 7 * DAY_MS,
  inbox: DAY_MS,
};

/**
 * Deletes what no request can use any more: expired login codes, authorization codes, login
 * transactions, tickets and sessions (idle ones too), refresh tokens a day after they expired or
 * were revoked, outbox messages a week after they were sent or given up, dev inbox messages after
 * a day. Returns how many rows went from each table.
 */
export async function purgeExpired(ctx: Tessera): Promise<Record<string, number>> {
  const now = ctx.clock.now();
  return ctx.store.purgeExpired(
    {
      expired: now,
      sessionsUsed: now - ctx.config.session.idle * 1000,
      refreshTokens: now - KEEP.refreshTokens,
      outbox: now - KEEP.outbox,
      inbox: now - KEEP.inbox,
    },
    PURGE_LIMIT,
  );
}
