import type { Kysely } from 'kysely';

/**
 * The Management API's user list: indexes for the columns it sorts and filters by most, and for
 * deleting a user's authorization codes and login tickets with them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['created_at', 'updated_at', 'last_login', 'logins_count'] as const) {
    await db.schema.createIndex(`users_${column}`).on('users').columns([column, 'user_id']).execute();
  }
  await db.schema.createIndex('users_phone_number').on('users').column('phone_number').execute();
  await db.schema
    .createIndex('authorization_codes_user')
    .on('authorization_codes')
    .column('user_id')
    .execute();
  await db.schema.createIndex('login_tickets_user').on('login_tickets').column('user_id').execute();
}
