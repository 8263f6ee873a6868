import type { Kysely } from 'kysely';

/** Housekeeping: the purge finds what is over by these columns without reading whole tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('authorization_codes_expires')
    .on('authorization_codes')
    .column('expires_at')
    .execute();
  await db.schema.createIndex('refresh_tokens_expires').on('refresh_tokens').column('expires_at').execute();
  await db.schema.createIndex('refresh_tokens_revoked').on('refresh_tokens').column('revoked_at').execute();
  await db.schema
    .createIndex('outbox_messages_updated')
    .on('outbox_messages')
    .columns(['status', 'updated_at'])
    .execute();
}
