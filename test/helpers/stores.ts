import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { ApplicationCodec, ConnectionCodec } from '../../src/core/ports/store.ts';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import { openPgliteStore } from '../../src/store/pglite.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { Database } from '../../src/store/tables.ts';
import { testDatabaseUrl, uniqueSchema } from './services.ts';

export interface OpenedStore {
  store: KyselyStore;
  /** Closes the store and removes its data. */
  dispose(): Promise<void>;
}

export interface StoreKind {
  name: 'sqlite' | 'pglite' | 'postgres';
  /** A new, empty, migrated store. */
  open(codec?: ConnectionCodec, applicationCodec?: ApplicationCodec): Promise<OpenedStore>;
  /** `count` stores (separate connections where the kind has them) on one new, unmigrated database. */
  fresh(count: number, options?: FreshOptions): Promise<{ stores: KyselyStore[]; dispose(): Promise<void> }>;
}

export interface FreshOptions {
  /** How long the stores keep applications and connections they read (default CONFIG_CACHE_MS). */
  configCacheMs?: number;
}

const sqlite: StoreKind = {
  name: 'sqlite',
  async fresh(count, options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    const stores = Array.from({ length: count }, () =>
      openSqliteStore(join(dir, 'tessera.db'), undefined, options),
    );
    return {
      stores,
      async dispose() {
        await Promise.all(stores.map((s) => s.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async open(codec, applicationCodec) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    const store = openSqliteStore(join(dir, 'tessera.db'), codec, { applicationCodec });
    await store.migrate();
    return {
      store,
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

let pglite: Promise<PGlite> | undefined;

/**
 * Moves PGlite's one session into a new schema; the function returned drops it and moves the
 * session back, so that a store opened before (a suite's shared one) finds its tables again.
 */
async function enterNewSchema(db: PGlite): Promise<() => Promise<void>> {
  const before = (await db.query<{ search_path: string }>('show search_path')).rows[0]?.search_path;
  const schema = uniqueSchema();
  await db.exec(`create schema ${schema}; set search_path to ${schema}`);
  return async () => {
    await db.exec(`drop schema ${schema} cascade; set search_path to ${before ?? 'public'}`);
  };
}

/** One PGlite per test file (it takes seconds to start); each store gets a schema of its own in it. */
const pgliteKind: StoreKind = {
  name: 'pglite',
  async fresh(count, options = {}) {
    pglite ??= PGlite.create({ parsers: { 20: (value: string) => Number(value) } });
    const db = await pglite;
    const leave = await enterNewSchema(db);
    const stores = Array.from({ length: count }, () => openPgliteStore(db, undefined, options));
    return { stores, dispose: leave };
  },
  async open(codec, applicationCodec) {
    pglite ??= PGlite.create({ parsers: { 20: (value: string) => Number(value) } });
    const db = await pglite;
    const leave = await enterNewSchema(db);
    const store = openPgliteStore(db, codec, { applicationCodec });
    await store.migrate();
    return {
      store,
      async dispose() {
        await store.close();
        await leave();
      },
    };
  },
};

/** A schema of its own on the real server, dropped afterwards. */
export function postgresKind(url: string): StoreKind {
  return {
    name: 'postgres',
    async fresh(count, options = {}) {
      const schema = uniqueSchema();
      const stores = Array.from({ length: count }, () =>
        openPostgresStore(url, undefined, { schema, ...options }),
      );
      return {
        stores,
        async dispose() {
          await Promise.all(stores.map((s) => s.close()));
          await dropSchema(url, schema);
        },
      };
    },
    async open(codec, applicationCodec) {
      const schema = uniqueSchema();
      const store = openPostgresStore(url, codec, { schema, poolSize: 20, applicationCodec });
      await store.migrate();
      return {
        store,
        async dispose() {
          await store.close();
          await dropSchema(url, schema);
        },
      };
    },
  };
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/** SQLite and PGlite always; the real PostgreSQL when TEST_DATABASE_URL names it (required under CI). */
export function storeKinds(): StoreKind[] {
  const url = testDatabaseUrl();
  return url ? [sqlite, pgliteKind, postgresKind(url)] : [sqlite, pgliteKind];
}

/** Every table, so that emptyStore cannot miss one added later (the type asks for each). */
const TABLES: Record<keyof Database, true> = {
  settings: true,
  applications: true,
  connections: true,
  users: true,
  login_codes: true,
  authorization_codes: true,
  refresh_tokens: true,
  signing_keys: true,
  inbox_messages: true,
  outbox_messages: true,
  outbox_attempts: true,
  sessions: true,
  login_transactions: true,
  login_tickets: true,
  log_events: true,
  roles: true,
  role_permissions: true,
  user_roles: true,
  user_permissions: true,
};

/**
 * Leaves every table of a migrated store empty, as a new one: a contract suite opens one store per
 * kind and empties it between tests instead of making and migrating a database for each.
 * Applications and connections go through the store, so that it forgets what it keeps of them.
 */
export async function emptyStore(store: KyselyStore): Promise<void> {
  for (const app of await store.listApplications()) await store.deleteApplication(app.client_id);
  for (const connection of await store.db.selectFrom('connections').select('name').execute())
    await store.deleteConnection(connection.name);
  for (const table of Object.keys(TABLES) as (keyof Database)[]) await store.db.deleteFrom(table).execute();
}
