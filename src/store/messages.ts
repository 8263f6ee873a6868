import type { Kysely, Selectable } from 'kysely';
import type { OutboxMessage } from '../core/model.ts';
import type { DevInboxStore, OutboxStore } from '../core/ports/store.ts';
import { Prepared, slotsFor } from './prepared.ts';
import type { Database, InboxMessageRow, OutboxMessageRow } from './tables.ts';

export function outboxStore(db: Kysely<Database>): OutboxStore {
  return {
    async putOutboxMessage(message) {
      await db
        .insertInto('outbox_messages')
        .values({ ...message, use_secondary: message.use_secondary ? 1 : 0 })
        .execute();
    },
    async getOutboxMessage(id) {
      const row = await db.selectFrom('outbox_messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toOutboxMessage(row) : undefined;
    },
    async dueOutboxMessages(now, limit) {
      const rows = await db
        .selectFrom('outbox_messages')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        // A code that has expired is not worth sending any more.
        .where('expires_at', '>', now)
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
    async claimOutboxMessage(id, now, until) {
      const result = await db
        .updateTable('outbox_messages')
        .set({ claimed_until: until })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async updateOutboxMessage(id, patch) {
      const { use_secondary, ...rest } = patch;
      const final = rest.status === 'sent' || rest.status === 'failed';
      await db
        .updateTable('outbox_messages')
        .set({
          ...rest,
          ...(use_secondary !== undefined && { use_secondary: use_secondary ? 1 : 0 }),
          // The rendered message holds the code: it goes once nobody will send it.
          ...(final && { body: null }),
        })
        .where('id', '=', id)
        .execute();
    },
    async putOutboxAttempt(attempt) {
      await db.insertInto('outbox_attempts').values(attempt).execute();
    },
    async listOutboxAttempts(messageId) {
      const rows = await db
        .selectFrom('outbox_attempts')
        .selectAll()
        .where('message_id', '=', messageId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
    },
  };
}

export function devInboxStore(db: Kysely<Database>): DevInboxStore {
  const q = inboxQueries(db);
  return {
    async putInboxMessage(message) {
      const { to, ...rest } = message;
      await q.put.run(db, { ...rest, recipient: to });
    },
    async listInboxMessages(to, limit) {
      const rows =
        to === undefined
          ? await db
              .selectFrom('inbox_messages')
              .selectAll()
              .orderBy('created_at', 'desc')
              .orderBy('id', 'desc')
              .limit(limit)
              .execute()
          : (await q.listTo.run(db, { recipient: to, limit })).rows;
      return rows.map(({ recipient, ...rest }) => ({
        ...rest,
        to: recipient,
        created_at: Number(rest.created_at),
      }));
    },
  };
}

function toOutboxMessage(row: Selectable<OutboxMessageRow>): OutboxMessage {
  return {
    ...row,
    use_secondary: row.use_secondary === 1,
    next_attempt_at: Number(row.next_attempt_at),
    claimed_until: row.claimed_until === null ? null : Number(row.claimed_until),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

/** Every column of an inbox message: the prepared insert names each (see Prepared's refusal of unknown values). */
const INBOX_COLUMNS = [
  'id',
  'recipient',
  'channel',
  'subject',
  'text',
  'html',
  'code',
  'link',
  'created_at',
] as const satisfies readonly (keyof InboxMessageRow)[];

/** The dev inbox's statements, in the login path while it is on: prepared once (see Prepared). */
function inboxQueries(db: Kysely<Database>) {
  return {
    put: new Prepared<InboxMessageRow, never>((p) =>
      db.insertInto('inbox_messages').values(slotsFor(p, INBOX_COLUMNS)),
    ),
    listTo: new Prepared<{ recipient: string; limit: number }, Selectable<InboxMessageRow>>((p) =>
      db
        .selectFrom('inbox_messages')
        .selectAll()
        .where('recipient', '=', p('recipient'))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(p('limit')),
    ),
  };
}
