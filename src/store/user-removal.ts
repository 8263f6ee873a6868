import type { Kysely } from 'kysely';
import type { Database } from './tables.ts';

/**
 * Deletes a user with everything that could still log them in or keep them logged in (pending
 * codes for their identifiers, authorization codes, login tickets, sessions, refresh tokens) and their
 * roles and permissions, in
 * one transaction: no grant outlives the user, and a failure leaves the user as they were.
 */
export function deleteUserAndGrants(db: Kysely<Database>, userId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .deleteFrom('users')
      .where('user_id', '=', userId)
      .returning(['connection', 'email', 'phone_number'])
      .executeTakeFirst();
    if (!user) return false;
    const identifiers = [user.email, user.phone_number].filter((value) => value !== null);
    if (identifiers.length > 0) {
      await trx
        .deleteFrom('login_codes')
        .where('connection', '=', user.connection)
        .where('identifier', 'in', identifiers)
        .execute();
    }
    for (const table of [
      'authorization_codes',
      'login_tickets',
      'sessions',
      'refresh_tokens',
      'user_roles',
      'user_permissions',
    ] as const)
      await trx.deleteFrom(table).where('user_id', '=', userId).execute();
    return true;
  });
}
