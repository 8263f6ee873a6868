import type { Kysely } from 'kysely';

/**
 * An authorization code presented twice revokes what its first exchange issued (RFC 6749 §4.1.2).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('authorization_codes').addColumn('refresh_family', 'text').execute();
  await db.schema.alterTable('authorization_codes').addColumn('reused_at', 'bigint').execute();
}
