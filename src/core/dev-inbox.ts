import type { Context } from './context.ts';
import type { InboxMessage } from './model.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

/**
 * The messages the dev inbox kept, newest first: all of them, or those to one recipient, written
 * as a person would type it (an email in any case, a phone number with spaces or dashes).
 */
export function devInboxMessages(
  ctx: Context,
  query: { to?: string; limit?: string },
): Promise<InboxMessage[]> {
  return ctx.store.listInboxMessages(recipient(query.to), limit(query.limit));
}

/** Emails as stored (trimmed, lower-case); a `+` in a phone number often arrives as a space. */
function recipient(to: string | undefined): string | undefined {
  if (to === undefined || to === '') return undefined;
  const trimmed = to.trim();
  if (trimmed.includes('@')) return trimmed.toLowerCase();
  const digits = trimmed.replace(/[^0-9]/g, '');
  return digits.length > 0 ? `+${digits}` : trimmed;
}

function limit(raw: string | undefined): number {
  const n = Number(raw ?? DEFAULT_LIMIT);
  return Number.isInteger(n) && n > 0 ? Math.min(n, MAX_LIMIT) : DEFAULT_LIMIT;
}
