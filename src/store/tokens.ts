import type { Kysely, Selectable } from 'kysely';
import type { LoginTicket, RefreshToken, Session } from '../core/model.ts';
import type {
  LoginTicketStore,
  RefreshFamily,
  RefreshTokenStore,
  SessionStore,
} from '../core/ports/store.ts';
import type { Database } from './tables.ts';

export function refreshTokenStore(db: Kysely<Database>): RefreshTokenStore {
  return {
    async putRefreshToken(token) {
      await db.insertInto('refresh_tokens').values(token).execute();
    },
    async findRefreshToken(tokenHash) {
      const row = await db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toRefreshToken(row) : undefined;
    },
    async useRefreshToken(id, now) {
      const result = await db
        .updateTable('refresh_tokens')
        .set({ used_at: now })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async revokeRefreshFamily(familyId, now) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async findRefreshFamily(familyId, now) {
      const [family] = await liveFamilies(db, now).where('family_id', '=', familyId).execute();
      return family ? toFamily(family) : undefined;
    },
    async listRefreshFamilies(userId, page, now) {
      let query = liveFamilies(db, now).where('user_id', '=', userId);
      if (page.after !== undefined) query = query.where('family_id', '>', page.after);
      const rows = await query
        .orderBy('family_id')
        .orderBy('created_at', 'desc')
        .limit(page.limit * 2)
        .execute();
      // Two exchanges within the reuse leeway leave a family two live tokens: show its newest.
      const seen = new Set<string>();
      return rows
        .filter((row) => !seen.has(row.family_id) && seen.add(row.family_id))
        .slice(0, page.limit)
        .map(toFamily);
    },
    async revokeUserRefreshTokens(userId, now) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async revokeClientRefreshTokens(clientId, now) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now })
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}

/** Live tokens, each with when its family began. */
function liveFamilies(db: Kysely<Database>, now: number) {
  return db
    .selectFrom('refresh_tokens')
    .selectAll('refresh_tokens')
    .select((eb) =>
      eb
        .selectFrom('refresh_tokens as first')
        .select((f) => f.fn.min('first.created_at').as('started'))
        .whereRef('first.family_id', '=', 'refresh_tokens.family_id')
        .as('started_at'),
    )
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now);
}

function toFamily(row: Selectable<RefreshToken> & { started_at: unknown }): RefreshFamily {
  const { started_at, ...token } = row;
  return { token: toRefreshToken(token), started_at: Number(started_at ?? token.created_at) };
}

export function sessionStore(db: Kysely<Database>): SessionStore {
  return {
    async putSession(session) {
      await db.insertInto('sessions').values(session).execute();
    },
    async findSession(tokenHash) {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toSession(row) : undefined;
    },
    async touchSession(id, now) {
      await db.updateTable('sessions').set({ last_used_at: now }).where('id', '=', id).execute();
    },
    async deleteSession(id) {
      await db.deleteFrom('sessions').where('id', '=', id).execute();
    },
    async getSession(id) {
      const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toSession(row) : undefined;
    },
    async listUserSessions(userId, page, live) {
      let query = db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('expires_at', '>', live.now)
        .where('last_used_at', '>', live.idleSince);
      if (page.after !== undefined) query = query.where('id', '>', page.after);
      const rows = await query.orderBy('id').limit(page.limit).execute();
      return rows.map(toSession);
    },
    async deleteUserSessions(userId) {
      await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
    },
  };
}

export function loginTicketStore(db: Kysely<Database>): LoginTicketStore {
  return {
    async putLoginTicket(ticket) {
      await db.insertInto('login_tickets').values(ticket).execute();
    },
    async findLoginTicket(ticketHash) {
      const row = await db
        .selectFrom('login_tickets')
        .selectAll()
        .where('ticket_hash', '=', ticketHash)
        .executeTakeFirst();
      return row ? toLoginTicket(row) : undefined;
    },
    async consumeLoginTicket(ticketHash, now) {
      const row = await db
        .updateTable('login_tickets')
        .set({ consumed_at: now })
        .where('ticket_hash', '=', ticketHash)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      return row ? toLoginTicket(row) : undefined;
    },
  };
}

function toSession(row: Session): Session {
  return numbers(row, ['auth_time', 'created_at', 'last_used_at', 'expires_at']);
}

function toRefreshToken(row: Selectable<RefreshToken>): RefreshToken {
  return {
    ...row,
    auth_time: Number(row.auth_time),
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    used_at: row.used_at === null ? null : Number(row.used_at),
    revoked_at: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

function toLoginTicket(row: Selectable<LoginTicket>): LoginTicket {
  return {
    ...numbers(row, ['auth_time', 'expires_at']),
    consumed_at: row.consumed_at === null ? null : Number(row.consumed_at),
  };
}

/** SQL drivers may hand back bigint columns as strings or bigints: make the named ones numbers. */
function numbers<T extends object, K extends keyof T>(row: T, keys: K[]): T {
  const out = { ...row };
  for (const key of keys) out[key] = Number(row[key]) as T[K];
  return out;
}
