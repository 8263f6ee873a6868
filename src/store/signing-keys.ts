import type { Kysely } from 'kysely';
import type { SigningKey } from '../core/model.ts';
import type { SigningKeyStore } from '../core/ports/store.ts';
import type { Database } from './tables.ts';

export function signingKeyStore(db: Kysely<Database>): SigningKeyStore {
  return {
    async listSigningKeys() {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('kid', 'desc')
        .execute();
      return rows.map((r) => ({
        ...r,
        created_at: Number(r.created_at),
        activates_at: Number(r.activates_at),
        retires_at: r.retires_at === null ? null : Number(r.retires_at),
      }));
    },
    putSigningKey: (key) => insertSigningKey(db, key),
    rotateSigningKey(key, retiresAt) {
      return db.transaction().execute(async (trx) => {
        if (!(await insertSigningKey(trx, key))) return false;
        await trx
          .updateTable('signing_keys')
          .set({ retires_at: retiresAt })
          .where('alg', '=', key.alg)
          .where('kid', '!=', key.kid)
          .where('retires_at', 'is', null)
          .execute();
        return true;
      });
    },
    async updateSigningKey(kid, patch) {
      await db.updateTable('signing_keys').set(patch).where('kid', '=', kid).execute();
    },
  };
}

/** Any unique conflict (the kid, or `replaces`: another rotation of the same key) leaves the row out. */
async function insertSigningKey(db: Kysely<Database>, key: SigningKey): Promise<boolean> {
  const result = await db
    .insertInto('signing_keys')
    .values(key)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}
