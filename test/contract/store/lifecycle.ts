import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { KyselyStore } from '../../../src/store/kysely-store.ts';
import { uniqueSchema } from '../../helpers/services.ts';
import { postgresKind } from '../../helpers/stores.ts';
import type { StoreUnderTest } from './contract.ts';

/** Readiness, and migrations: each applied once, however many instances start at once. */
export function lifecycleContract(subject: StoreUnderTest): void {
  const { kind } = subject;
  describe('lifecycle', () => {
    it('answers a ping and migrates again without change', async () => {
      const { store } = subject;
      await expect(store.ping()).resolves.toBeUndefined();
      await store.migrate();
      await expect(store.listApplications()).resolves.toEqual([]);
    });
    it('applies each migration once when several stores migrate one new database at once', async () => {
      const fresh = await kind.fresh(4);
      try {
        const applied = await Promise.all(fresh.stores.map((s) => s.migrate()));
        const all = applied.flat();
        expect(all.length).toBeGreaterThan(4);
        expect(new Set(all).size).toBe(all.length);
        for (const store of fresh.stores) await expect(store.listApplications()).resolves.toEqual([]);
        expect(await fresh.stores[0]?.migrate()).toEqual([]);
      } finally {
        await fresh.dispose();
      }
    });
  });
}

/**
 * Another client on the same PostgreSQL database (another deployment's tests, a tenant's teardown)
 * making and dropping schemas while an instance starts: the instance's migrations must not read
 * those schemas. (PGlite is one session, so nothing can drop a schema during its migrations.)
 */
export function schemaChurnContract(postgresUrl: string | undefined): void {
  describe.skipIf(!postgresUrl)('migrations on postgres while another client drops schemas', () => {
    it('migrate every time', async () => {
      const url = postgresUrl as string;
      const churn = new pg.Client({ connectionString: url });
      await churn.connect();
      let stop = false;
      const churning = (async () => {
        while (!stop) {
          const schema = uniqueSchema('churn');
          await churn.query(
            `create schema ${schema}; create table ${schema}.t (id serial primary key, a text)`,
          );
          await churn.query(`drop schema ${schema} cascade`);
        }
      })();
      const failures: string[] = [];
      try {
        for (let n = 0; n < 15; n++) {
          const fresh = await postgresKind(url).fresh(1);
          try {
            const store = fresh.stores[0] as KyselyStore;
            await store.migrate();
            // What the migrator reads: this store's own tables, of one schema, and nothing else's.
            const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true });
            expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['users', 'kysely_migration']));
            expect(new Set(tables.map((t) => t.schema)).size).toBe(1);
          } catch (error) {
            failures.push(String(error));
          } finally {
            await fresh.dispose();
          }
        }
      } finally {
        stop = true;
        await churning;
        await churn.end();
      }
      expect(failures).toEqual([]);
    }, 60_000);
  });
}
