import type { Insertable, Kysely, Selectable } from 'kysely';
import type { User } from '../core/model.ts';
import type { IdentifierField, UserPatch, UserStore } from '../core/ports/store.ts';
import { Prepared, slotsFor } from './prepared.ts';
import type { Database, UserRow } from './tables.ts';
import { deleteUserAndGrants } from './user-removal.ts';
import { dialectOf, userSearch } from './user-search.ts';

export function userStore(db: Kysely<Database>): UserStore {
  const q = userQueries(db);
  const dialect = dialectOf(db);
  async function findUser(connection: string, field: IdentifierField, value: string) {
    const query = field === 'email' ? q.findByEmail : q.findByPhone;
    const row = await query.first(db, { connection, value });
    return row ? toUser(row) : undefined;
  }
  return {
    async getUser(userId) {
      const row = await q.get.first(db, { user_id: userId });
      return row ? toUser(row) : undefined;
    },
    findUser,
    async createUser(user) {
      const row = await q.create.first(db, {
        user_id: user.user_id,
        connection: user.connection,
        email: user.email,
        email_verified: user.email_verified ? 1 : 0,
        phone_number: user.phone_number,
        phone_verified: user.phone_verified ? 1 : 0,
        name: user.name ?? null,
        nickname: user.nickname ?? null,
        picture: user.picture ?? null,
        created_at: user.created_at,
        updated_at: user.created_at,
        last_login: user.last_login ?? null,
        last_ip: user.last_ip ?? null,
        logins_count: user.logins_count ?? 0,
        app_metadata: JSON.stringify(user.app_metadata ?? {}),
        user_metadata: JSON.stringify(user.user_metadata ?? {}),
        blocked: user.blocked ? 1 : 0,
      });
      if (row) return { user: toUser(row), created: true };
      const field: IdentifierField = user.email !== null ? 'email' : 'phone_number';
      const existing = await findUser(user.connection, field, (user.email ?? user.phone_number) as string);
      if (!existing) throw new Error('user insert conflicted but no existing user was found');
      return { user: existing, created: false };
    },
    async updateUser(userId, patch, snapshot) {
      let update = db.updateTable('users').set(patchRow(patch)).where('user_id', '=', userId);
      if (snapshot) {
        update = update
          .where('app_metadata', '=', JSON.stringify(snapshot.app_metadata))
          .where('user_metadata', '=', JSON.stringify(snapshot.user_metadata));
      }
      let row: Selectable<UserRow> | undefined;
      try {
        row = await update.returningAll().executeTakeFirst();
      } catch (error) {
        if (isUniqueViolation(error)) return 'taken';
        throw error;
      }
      if (row) return toUser(row);
      if (snapshot && (await q.get.first(db, { user_id: userId }))) return 'changed';
      return undefined;
    },
    async listUsers(query) {
      const { page, count } = userSearch(db, dialect, query);
      const rows = await page.execute();
      const users = rows.map(toUser);
      if (!query.withTotal) return { users };
      const counted = await count.executeTakeFirstOrThrow();
      return { users, total: Number(counted.total) };
    },
    async findUsersByEmail(email) {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', email)
        .orderBy('created_at')
        .orderBy('user_id')
        .execute();
      return rows.map(toUser);
    },
    deleteUser: (userId) => deleteUserAndGrants(db, userId),
    async recordLogin(userId, field, ip, now) {
      const verified = field === 'email' ? 'email_verified' : 'phone_verified';
      const row = await db
        .updateTable('users')
        .set((eb) => ({
          logins_count: eb('logins_count', '+', 1),
          last_login: now,
          last_ip: ip,
          updated_at: now,
          [verified]: 1,
        }))
        .where('user_id', '=', userId)
        .returningAll()
        .executeTakeFirst();
      return row ? toUser(row) : undefined;
    },
  };
}

/** A patch as the row's columns: flags as 0/1, metadata as JSON text. */
function patchRow(patch: UserPatch) {
  const { app_metadata, user_metadata, email_verified, phone_verified, blocked, ...plain } = patch;
  return {
    ...plain,
    ...(app_metadata !== undefined && { app_metadata: JSON.stringify(app_metadata) }),
    ...(user_metadata !== undefined && { user_metadata: JSON.stringify(user_metadata) }),
    ...(email_verified !== undefined && { email_verified: email_verified ? 1 : 0 }),
    ...(phone_verified !== undefined && { phone_verified: phone_verified ? 1 : 0 }),
    ...(blocked !== undefined && { blocked: blocked ? 1 : 0 }),
  };
}

/** A unique index refused the write: SQLSTATE 23505 on PostgreSQL, SQLITE_CONSTRAINT_UNIQUE on SQLite. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function toUser(row: Selectable<UserRow>): User {
  return {
    ...row,
    email_verified: row.email_verified === 1,
    phone_verified: row.phone_verified === 1,
    blocked: row.blocked === 1,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    last_login: row.last_login === null ? null : Number(row.last_login),
    logins_count: Number(row.logins_count),
    app_metadata: JSON.parse(row.app_metadata) as Record<string, unknown>,
    user_metadata: JSON.parse(row.user_metadata) as Record<string, unknown>,
  };
}

/** Every column of a user: the prepared insert names each (see Prepared's refusal of unknown values). */
const USER_COLUMNS = [
  'user_id',
  'connection',
  'email',
  'email_verified',
  'phone_number',
  'phone_verified',
  'name',
  'nickname',
  'picture',
  'created_at',
  'updated_at',
  'last_login',
  'last_ip',
  'logins_count',
  'app_metadata',
  'user_metadata',
  'blocked',
] as const satisfies readonly (keyof UserRow)[];

/** The user statements of every login (and of /userinfo), prepared once (see Prepared). */
function userQueries(db: Kysely<Database>) {
  return {
    get: new Prepared<{ user_id: string }, Selectable<UserRow>>((p) =>
      db.selectFrom('users').selectAll().where('user_id', '=', p('user_id')),
    ),
    findByEmail: new Prepared<{ connection: string; value: string }, Selectable<UserRow>>((p) =>
      db
        .selectFrom('users')
        .selectAll()
        .where('connection', '=', p('connection'))
        .where('email', '=', p('value')),
    ),
    findByPhone: new Prepared<{ connection: string; value: string }, Selectable<UserRow>>((p) =>
      db
        .selectFrom('users')
        .selectAll()
        .where('connection', '=', p('connection'))
        .where('phone_number', '=', p('value')),
    ),
    create: new Prepared<Insertable<UserRow>, Selectable<UserRow>>((p) =>
      db
        .insertInto('users')
        .values(slotsFor(p, USER_COLUMNS))
        .onConflict((oc) => oc.doNothing())
        .returningAll(),
    ),
  };
}
