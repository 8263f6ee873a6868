import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { KyselyStore } from './kysely-store.ts';
import type { ConnectionCodec } from './store.ts';
import type { Database } from './tables.ts';

/**
 * Opens (creating if needed) the SQLite file. WAL with synchronous=NORMAL keeps every committed
 * transaction across a process kill; statements are prepared once and reused, because preparing
 * on every query costs more than running most of them.
 */
export function openSqliteStore(file: string, connectionCodec?: ConnectionCodec): KyselyStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(file);
  // Users, token hashes and sealed credentials: readable by the server's own user only.
  if (file !== ':memory:') chmodSync(file, 0o600);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const statements = new Map<string, SQLite.Statement>();
  const database = {
    close: () => sqlite.close(),
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (!statement) {
        // Queries are built from a fixed set of shapes; the cap only guards against a future dynamic one.
        if (statements.size > 1000) statements.clear();
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return new KyselyStore(db, connectionCodec, {
    // BEGIN IMMEDIATE takes the write lock (another process waits, up to busy_timeout, on its own
    // BEGIN IMMEDIATE), and the whole migration run commits or rolls back as one.
    // Stores of one process on one file take turns first: better-sqlite3 waits for a lock
    // synchronously, which would stall the very process holding it.
    exclusive: (run) =>
      inTurn(file, () =>
        db.connection().execute(async (connection) => {
          await sql`begin immediate`.execute(connection);
          try {
            const result = await run(connection);
            await sql`commit`.execute(connection);
            return result;
          } catch (error) {
            await sql`rollback`.execute(connection);
            throw error;
          }
        }),
      ),
  });
}

const turns = new Map<string, Promise<unknown>>();

/** Runs `task` after every task queued before it for the same key (in this process). */
async function inTurn<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = turns.get(key) ?? Promise.resolve();
  const current = previous.then(task, task);
  const settled = current.then(
    () => undefined,
    () => undefined,
  );
  turns.set(key, settled);
  try {
    return await current;
  } finally {
    if (turns.get(key) === settled) turns.delete(key);
  }
}
