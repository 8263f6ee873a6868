import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
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
  return new KyselyStore(new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), connectionCodec);
}
