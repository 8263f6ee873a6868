import type { Context } from './context.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Rows one delete takes from a table at most, so that no statement holds the database for long. */
export const PURGE_LIMIT = 1000;
/**
 * How long one run may go on deleting batches. Runs are a minute apart, so a run keeps up with
 * any rate of new rows up to what it deletes in this time (a batch takes milliseconds): a flood of
 * starts from many addresses cannot outgrow it, as a single batch a minute could be.
 */
const RUN_BUDGET_MS = 10_000;

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
 * a day, tenant log events past `log_retention_days`. Returns how many rows went from each table.
 */
export async function purgeExpired(
  ctx: Context,
  options: { batch?: number; budgetMs?: number } = {},
): Promise<Record<string, number>> {
  const { batch = PURGE_LIMIT, budgetMs = RUN_BUDGET_MS } = options;
  const now = ctx.clock.now();
  const before = {
    expired: now,
    sessionsUsed: now - ctx.config.session.idle * 1000,
    refreshTokens: now - KEEP.refreshTokens,
    outbox: now - KEEP.outbox,
    inbox: now - KEEP.inbox,
  };
  const logsBefore = now - ctx.config.log_retention_days * DAY_MS;
  const started = performance.now();
  const totals: Record<string, number> = {};
  // Batch after batch while some table still had a full one, each a statement of its own so that
  // requests go on in between.
  for (;;) {
    const counts = {
      ...(await ctx.store.purgeExpired(before, batch)),
      log_events: await ctx.store.deleteLogEventsBefore(logsBefore, batch),
    };
    for (const [table, n] of Object.entries(counts)) totals[table] = (totals[table] ?? 0) + n;
    const more = Object.values(counts).some((n) => n >= batch);
    if (!more || performance.now() - started >= budgetMs) return totals;
  }
}
