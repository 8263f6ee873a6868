import type { Kysely, Selectable } from 'kysely';
import type { LoginCode } from '../core/model.ts';
import type { AuthorizationCodeStore, LoginCodeStore } from '../core/ports/store.ts';
import { Prepared, slotsFor } from './prepared.ts';
import type { Database, LoginCodeRow } from './tables.ts';

export function loginCodeStore(db: Kysely<Database>): LoginCodeStore {
  const q = loginCodeQueries(db);
  return {
    async putLoginCode(code) {
      await q.put.run(db, { ...code, auth_params: JSON.stringify(code.auth_params) });
    },
    async findLoginCode(clientId, connection, identifier) {
      const row = await q.find.first(db, { client_id: clientId, connection, identifier });
      return row ? toLoginCode(row) : undefined;
    },
    async takeLoginAttempt(id, now) {
      const row = await q.takeAttempt.first(db, { id, now });
      return row ? toLoginCode(row) : undefined;
    },
    async returnLoginAttempt(id) {
      await db
        .updateTable('login_codes')
        .set((eb) => ({ attempts: eb('attempts', '-', 1) }))
        .where('id', '=', id)
        .where('attempts', '>', 0)
        .execute();
    },
    async consumeLoginCode(id, now) {
      const result = await q.consume.run(db, { id, now });
      return Number(result.numAffectedRows) === 1;
    },
    async deleteLoginCode(id) {
      await db.deleteFrom('login_codes').where('id', '=', id).execute();
    },
    async deleteClientCodes(clientId) {
      await db.deleteFrom('login_codes').where('client_id', '=', clientId).execute();
      await db.deleteFrom('authorization_codes').where('client_id', '=', clientId).execute();
    },
  };
}

export function authorizationCodeStore(db: Kysely<Database>): AuthorizationCodeStore {
  return {
    async putAuthorizationCode(code) {
      await db.insertInto('authorization_codes').values(code).execute();
    },
    async consumeAuthorizationCode(codeHash, now, refreshFamily) {
      const row = await db
        .updateTable('authorization_codes')
        .set({ consumed_at: now, refresh_family: refreshFamily })
        .where('code_hash', '=', codeHash)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      const { refresh_family: _family, reused_at: _reused, ...code } = row;
      return { ...code, auth_time: Number(row.auth_time), expires_at: Number(row.expires_at) };
    },
    async markAuthorizationCodeReused(codeHash, now) {
      const row = await db
        .updateTable('authorization_codes')
        .set({ reused_at: now })
        .where('code_hash', '=', codeHash)
        .where('consumed_at', 'is not', null)
        .returning('refresh_family')
        .executeTakeFirst();
      return row?.refresh_family ?? undefined;
    },
    async authorizationCodeReused(codeHash) {
      const row = await db
        .selectFrom('authorization_codes')
        .select('reused_at')
        .where('code_hash', '=', codeHash)
        .executeTakeFirst();
      return row !== undefined && row.reused_at !== null;
    },
  };
}

function toLoginCode(row: Selectable<LoginCodeRow>): LoginCode {
  return {
    ...row,
    auth_params: JSON.parse(row.auth_params) as LoginCode['auth_params'],
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    consumed_at: row.consumed_at === null ? null : Number(row.consumed_at),
  };
}

/** Every column of a login code: the prepared insert names each (see Prepared's refusal of unknown values). */
const LOGIN_CODE_COLUMNS = [
  'id',
  'client_id',
  'connection',
  'identifier',
  'send',
  'code_hash',
  'binding_hash',
  'auth_params',
  'attempts',
  'max_attempts',
  'created_at',
  'expires_at',
  'consumed_at',
] as const satisfies readonly (keyof LoginCodeRow)[];

/** The login-code statements of every login, prepared once (see Prepared). */
function loginCodeQueries(db: Kysely<Database>) {
  return {
    put: new Prepared<LoginCodeRow, never>((p) => {
      const { id, client_id, connection, identifier, ...replaced } = slotsFor(p, LOGIN_CODE_COLUMNS);
      return db
        .insertInto('login_codes')
        .values({ id, client_id, connection, identifier, ...replaced })
        .onConflict((oc) =>
          oc.columns(['client_id', 'connection', 'identifier']).doUpdateSet({ id, ...replaced }),
        );
    }),
    find: new Prepared<
      { client_id: string; connection: string; identifier: string },
      Selectable<LoginCodeRow>
    >((p) =>
      db
        .selectFrom('login_codes')
        .selectAll()
        .where('client_id', '=', p('client_id'))
        .where('connection', '=', p('connection'))
        .where('identifier', '=', p('identifier')),
    ),
    takeAttempt: new Prepared<{ id: string; now: number }, Selectable<LoginCodeRow>>((p) =>
      db
        .updateTable('login_codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', p('id'))
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', p('now'))
        .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
        .returningAll(),
    ),
    consume: new Prepared<{ id: string; now: number }, never>((p) =>
      db
        .updateTable('login_codes')
        .set({ consumed_at: p('now') })
        .where('id', '=', p('id'))
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', p('now')),
    ),
  };
}
