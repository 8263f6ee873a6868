import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './0001_initial.ts';
import * as outbox from './0002_outbox.ts';
import * as hostedLogin from './0003_hosted_login.ts';
import * as housekeeping from './0004_housekeeping.ts';
import * as keyRotation from './0005_key_rotation.ts';
import * as codeReuse from './0006_code_reuse.ts';
import * as logs from './0007_logs.ts';
import * as userSearch from './0008_user_search.ts';
import * as connectionIds from './0009_connection_ids.ts';
import * as roles from './0010_roles.ts';

/**
 * The schema's migrations in the order they run, shared by SQLite and PostgreSQL: only types both
 * understand (text, integer, bigint) and no dialect-specific SQL. Each database records the names
 * of those it has run, so a landed migration is never renamed or edited: the next change is a new
 * file, added at the end.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_outbox': outbox,
  '0003_hosted_login': hostedLogin,
  '0004_housekeeping': housekeeping,
  '0005_key_rotation': keyRotation,
  '0006_code_reuse': codeReuse,
  '0007_logs': logs,
  '0008_user_search': userSearch,
  '0009_connection_ids': connectionIds,
  '0010_roles': roles,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
