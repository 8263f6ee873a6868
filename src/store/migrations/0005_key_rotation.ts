import type { Kysely } from 'kysely';

/**
 * Key rotation: when each signing key signs and leaves the JWKS, decided by time so that every
 * instance agrees. Sealing the private keys and secrets needs no schema change (start does it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // SQLite adds one column per statement.
  await db.schema
    .alterTable('signing_keys')
    .addColumn('activates_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('signing_keys').addColumn('retires_at', 'bigint').execute();
  await db.schema.alterTable('signing_keys').addColumn('replaces', 'text').execute();
  // Existing keys have signed since they were made.
  const keys = db as unknown as Kysely<{ signing_keys: { activates_at: number; created_at: number } }>;
  await keys
    .updateTable('signing_keys')
    .set((eb) => ({ activates_at: eb.ref('created_at') }))
    .execute();
  await db.schema
    .createIndex('signing_keys_replaces')
    .unique()
    .on('signing_keys')
    .column('replaces')
    .execute();
}
