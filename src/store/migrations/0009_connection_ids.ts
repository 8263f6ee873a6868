import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';

/** A connection id as Auth0 writes one: `con_` and 16 random characters. */
function newConnectionId(): string {
  return `con_${randomBytes(8).toString('hex')}`;
}

/**
 * Connections get an id besides their name (the Management API addresses them by it, as Auth0
 * does): one is given to every connection already stored, and no two share one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const tables = db as unknown as Kysely<{ connections: { name: string; id: string | null } }>;
  await db.schema.alterTable('connections').addColumn('id', 'text').execute();
  for (const { name } of await tables.selectFrom('connections').select('name').execute()) {
    await tables.updateTable('connections').set({ id: newConnectionId() }).where('name', '=', name).execute();
  }
  await db.schema.createIndex('connections_id').unique().on('connections').column('id').execute();
}
