import { type Kysely, Migrator } from 'kysely';
import { migrationProvider } from './migrations/index.ts';
import type { Database } from './tables.ts';

/** Where and how a dialect runs the migrations. */
export interface MigrationSetup {
  /**
   * PostgreSQL: makes the schema the tables go into (if one is named) and returns its name. Kysely
   * looks for its migration tables in every schema unless told which, so two databases in two
   * schemas of one server would see each other's. (The migrator itself holds an advisory lock.)
   */
  schema?: () => Promise<string | undefined>;
  /**
   * Where the migrations run. SQLite: holding the database's write lock, so that processes
   * starting at once on one file migrate one after the other (Kysely locks only within a process
   * there). PostgreSQL: on a connection without the statement timeout.
   */
  session?: <T>(run: (db: Kysely<Database>) => Promise<T>) => Promise<T>;
}

/** Runs every migration `db` has not run yet; returns the names of those it applied. */
export async function migrateToLatest(db: Kysely<Database>, setup: MigrationSetup): Promise<string[]> {
  const schema = await setup.schema?.();
  const run = async (session: Kysely<Database>) => {
    const migrator = new Migrator({
      db: session,
      provider: migrationProvider,
      // Names are '0001_…': byte order is their order, with no collation data loaded from ICU.
      nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
      ...(schema !== undefined && { migrationTableSchema: schema }),
    });
    const { error, results = [] } = await migrator.migrateToLatest();
    const failed = results.find((r) => r.status === 'Error');
    // Thrown, so that an exclusive run rolls the whole set back.
    if (error || failed)
      throw new Error(
        `migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`,
      );
    return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  };
  return setup.session ? setup.session(run) : run(db);
}
