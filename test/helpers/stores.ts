import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { ConnectionCodec } from '../../src/core/ports/store.ts';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import { openPgliteStore } from '../../src/store/pglite.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { testDatabaseUrl, uniqueSchema } from './services.ts';

export interface OpenedStore {
  store: KyselyStore;
  /** Closes the store and removes its data. */
  dispose(): Promise<void>;
}

export interface StoreKind {
  name: 'sqlite' | 'pglite' | 'postgres';
  /** A new, empty, migrated store. */
  open(codec?: ConnectionCodec): Promise<OpenedStore>;
  /** `count` stores (separate connections where the kind has them) on one new, unmigrated database. */
  fresh(count: number): Promise<{ stores: KyselyStore[]; dispose(): Promise<void> }>;
}

const sqlite: StoreKind = {
  name: 'sqlite',
  async fresh(count) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    const stores = Array.from({ length: count }, () => openSqliteStore(join(dir, 'tessera.db')));
    return {
      stores,
      async dispose() {
        await Promise.all(stores.map((s) => s.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async open(codec) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    const store = openSqliteStore(join(dir, 'tessera.db'), codec);
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

/** One PGlite per test file (it takes seconds to start); each store gets a schema of its own in it. */
const pgliteKind: StoreKind = {
  name: 'pglite',
  async fresh(count) {
    pglite ??= PGlite.create({ parsers: { 20: (value: string) => Number(value) } });
    const db = await pglite;
    const schema = uniqueSchema();
    await db.exec(`create schema ${schema}; set search_path to ${schema}`);
    const stores = Array.from({ length: count }, () => openPgliteStore(db));
    return {
      stores,
      async dispose() {
        await db.exec(`drop schema ${schema} cascade`);
      },
    };
  },
  async open(codec) {
    pglite ??= PGlite.create({ parsers: { 20: (value: string) => Number(value) } });
    const db = await pglite;
    const schema = uniqueSchema();
    await db.exec(`create schema ${schema}; set search_path to ${schema}`);
    const store = openPgliteStore(db, codec);
    await store.migrate();
    return {
      store,
      async dispose() {
        await store.close();
        await db.exec(`drop schema ${schema} cascade`);
      },
    };
  },
};

/** A schema of its own on the real server, dropped afterwards. */
export function postgresKind(url: string): StoreKind {
  return {
    name: 'postgres',
    async fresh(count) {
      const schema = uniqueSchema();
      const stores = Array.from({ length: count }, () => openPostgresStore(url, undefined, { schema }));
      return {
        stores,
        async dispose() {
          await Promise.all(stores.map((s) => s.close()));
          await dropSchema(url, schema);
        },
      };
    },
    async open(codec) {
      const schema = uniqueSchema();
      const store = openPostgresStore(url, codec, { schema, poolSize: 20 });
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
