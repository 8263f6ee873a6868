import type { DeleteResult, Kysely } from 'kysely';
import type { PurgeBefore, PurgeStore } from '../core/ports/store.ts';
import type { Database } from './tables.ts';

export function purgeStore(db: Kysely<Database>): PurgeStore {
  return { purgeExpired: (before, limit) => purgeExpiredRows(db, before, limit) };
}

/**
 * Each delete names at most `limit` rows with a subquery, since DELETE ... LIMIT is not portable
 * SQL. Each condition is one the reading code already refuses (an expired code, an idle
 * session...), so no row a request could use goes.
 */
async function purgeExpiredRows(
  db: Kysely<Database>,
  before: PurgeBefore,
  limit: number,
): Promise<Record<string, number>> {
  const expired = before.expired;
  const counts: Record<string, number> = {};
  const loginCodes = db.selectFrom('login_codes').select('id').where('expires_at', '<=', expired);
  counts.login_codes = deleted(
    await db.deleteFrom('login_codes').where('id', 'in', loginCodes.limit(limit)).executeTakeFirst(),
  );
  const codes = db.selectFrom('authorization_codes').select('code_hash').where('expires_at', '<=', expired);
  counts.authorization_codes = deleted(
    await db
      .deleteFrom('authorization_codes')
      .where('code_hash', 'in', codes.limit(limit))
      .executeTakeFirst(),
  );
  const transactions = db.selectFrom('login_transactions').select('id').where('expires_at', '<=', expired);
  counts.login_transactions = deleted(
    await db.deleteFrom('login_transactions').where('id', 'in', transactions.limit(limit)).executeTakeFirst(),
  );
  const tickets = db.selectFrom('login_tickets').select('ticket_hash').where('expires_at', '<=', expired);
  counts.login_tickets = deleted(
    await db.deleteFrom('login_tickets').where('ticket_hash', 'in', tickets.limit(limit)).executeTakeFirst(),
  );
  const sessions = db
    .selectFrom('sessions')
    .select('id')
    .where((eb) => eb.or([eb('expires_at', '<=', expired), eb('last_used_at', '<=', before.sessionsUsed)]));
  counts.sessions = deleted(
    await db.deleteFrom('sessions').where('id', 'in', sessions.limit(limit)).executeTakeFirst(),
  );
  const tokens = db
    .selectFrom('refresh_tokens')
    .select('id')
    .where((eb) =>
      eb.or([eb('expires_at', '<=', before.refreshTokens), eb('revoked_at', '<=', before.refreshTokens)]),
    );
  counts.refresh_tokens = deleted(
    await db.deleteFrom('refresh_tokens').where('id', 'in', tokens.limit(limit)).executeTakeFirst(),
  );
  const inbox = db.selectFrom('inbox_messages').select('id').where('created_at', '<=', before.inbox);
  counts.inbox_messages = deleted(
    await db.deleteFrom('inbox_messages').where('id', 'in', inbox.limit(limit)).executeTakeFirst(),
  );
  return { ...counts, ...(await purgeOutbox(db, before.outbox, limit)) };
}

/**
 * Outbox messages done with: final (sent or failed) since `before`, or still pending though their
 * code expired by then (no sender takes those). Their attempts go in the same transaction, so
 * none is left without its message.
 */
async function purgeOutbox(
  db: Kysely<Database>,
  before: number,
  limit: number,
): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('outbox_messages')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', 'in', ['sent', 'failed']), eb('updated_at', '<=', before)]),
        eb.and([eb('status', '=', 'pending'), eb('expires_at', '<=', before)]),
      ]),
    )
    .limit(limit)
    .execute();
  const ids = rows.map((row) => row.id);
  if (ids.length === 0) return { outbox_messages: 0, outbox_attempts: 0 };
  return db.transaction().execute(async (trx) => {
    const attempts = await trx
      .deleteFrom('outbox_attempts')
      .where('message_id', 'in', ids)
      .executeTakeFirst();
    const messages = await trx.deleteFrom('outbox_messages').where('id', 'in', ids).executeTakeFirst();
    return { outbox_messages: deleted(messages), outbox_attempts: deleted(attempts) };
  });
}

function deleted(result: DeleteResult): number {
  return Number(result.numDeletedRows);
}
