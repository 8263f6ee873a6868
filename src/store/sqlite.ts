import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, sql } from 'kysely';
import type { ApplicationCodec, ConnectionCodec } from '../core/ports/store.ts';
import { StoreHealth } from './health.ts';
import { type KyselyStore, kyselyStore } from './kysely-store.ts';
import { alreadyRolledBack, SqliteThread, SqliteThreadDialect } from './sqlite-thread.ts';
import type { Database } from './tables.ts';

export interface SqliteOptions {
  /** Where the outcome of every statement goes (outages are logged there). */
  health?: StoreHealth;
  /** How long applications and connections read are kept (default CONFIG_CACHE_MS). */
  configCacheMs?: number;
  /** How applications are written to their rows (default: plain JSON). */
  applicationCodec?: ApplicationCodec;
}

/**
 * Opens (creating if needed) the SQLite file, on a thread of its own (sqlite-thread.ts): the
 * server's thread goes on with other requests while SQLite works. WAL with synchronous=NORMAL
 * keeps every committed transaction across a process kill; statements are prepared once and
 * reused, because preparing on every query costs more than running most of them.
 */
export function openSqliteStore(
  file: string,
  connectionCodec?: ConnectionCodec,
  options: SqliteOptions = {},
): KyselyStore {
  const health = options.health ?? new StoreHealth();
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Users, token hashes and sealed credentials: readable by the server's own user only.
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
  const thread = new SqliteThread(
    {
      file,
      pragmas: [
        'journal_mode = WAL',
        'synchronous = NORMAL',
        'busy_timeout = 5000',
        'foreign_keys = ON',
        // SQLite's own default page cache (better-sqlite3 raises it to 16 MB): pages beyond it are
        // read from the operating system's file cache, which costs a login nothing measurable
        // (bench/README.md) and keeps them out of the server's resident memory.
        'cache_size = -2000',
      ],
    },
    health,
  );
  const db = new Kysely<Database>({ dialect: new SqliteThreadDialect(thread) });
  return kyselyStore(db, {
    connectionCodec,
    applicationCodec: options.applicationCodec,
    migrations: {
      // BEGIN IMMEDIATE takes the write lock (another process waits, up to busy_timeout, on its own
      // BEGIN IMMEDIATE), and the whole migration run commits or rolls back as one.
      // Stores of one process on one file take turns first, so that they never wait on each other's
      // lock for busy_timeout.
      session: (run) =>
        inTurn(file, () =>
          db.connection().execute(async (connection) => {
            await sql`begin immediate`.execute(connection);
            try {
              const result = await run(connection);
              await sql`commit`.execute(connection);
              return result;
            } catch (error) {
              await sql`rollback`.execute(connection).catch((failure: unknown) => {
                if (!alreadyRolledBack(failure)) throw failure;
              });
              throw error;
            }
          }),
        ),
    },
    health,
    configCacheMs: options.configCacheMs,
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
