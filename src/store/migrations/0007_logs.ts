import type { Kysely } from 'kysely';

/** The tenant log (`/api/v2/logs`): one row per event, read newest first or from a checkpoint. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('log_events')
    .addColumn('log_id', 'text', (c) => c.primaryKey())
    .addColumn('date', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('client_name', 'text')
    .addColumn('connection', 'text')
    .addColumn('connection_id', 'text')
    .addColumn('user_id', 'text')
    .addColumn('user_name', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  // Searches read newest first within a user's or a type's events; retention deletes by date.
  await db.schema.createIndex('log_events_date').on('log_events').columns(['date', 'log_id']).execute();
  await db.schema.createIndex('log_events_user').on('log_events').columns(['user_id', 'date']).execute();
  await db.schema.createIndex('log_events_type').on('log_events').columns(['type', 'date']).execute();
}
