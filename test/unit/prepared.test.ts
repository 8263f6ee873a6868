import {
  type CompiledQuery,
  DummyDriver,
  Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { type Executor, Prepared, slotsFor } from '../../src/store/prepared.ts';

interface Db {
  codes: { id: string; attempts: number; expires_at: number; note: string | null };
}

/** Kysely that only compiles (the queries are looked at, not run). */
const db = new Kysely<Db>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new SqliteIntrospector(k),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

/** An executor that records what it is asked to run. */
function recorder(): Executor & { ran: CompiledQuery[] } {
  const ran: CompiledQuery[] = [];
  return {
    ran,
    async executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>> {
      ran.push(query);
      return { rows: [] };
    },
  };
}

describe('Prepared', () => {
  it('runs the SQL compiled once with each run’s values in place, and the query’s constants kept', async () => {
    const take = new Prepared<{ id: string; now: number }, never>((p) =>
      db
        .updateTable('codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', p('id'))
        .where('expires_at', '>', p('now')),
    );
    const executor = recorder();
    await take.run(executor, { id: 'a', now: 10 });
    await take.run(executor, { now: 20, id: 'b' });
    const [first, second] = executor.ran;
    expect(first?.sql).toBe(
      'update "codes" set "attempts" = "attempts" + ? where "id" = ? and "expires_at" > ?',
    );
    expect(second?.sql).toBe(first?.sql);
    expect(first?.parameters).toEqual([1, 'a', 10]);
    expect(second?.parameters).toEqual([1, 'b', 20]);
    expect(second?.queryId).not.toBe(first?.queryId);
  });

  it('gives a value used twice to both its places (an insert and its conflict update)', async () => {
    const put = new Prepared<Db['codes'], never>((p) => {
      const row = slotsFor(p, ['id', 'attempts', 'expires_at', 'note'] as const);
      const { id, ...rest } = row;
      return db
        .insertInto('codes')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ id, ...rest }));
    });
    const executor = recorder();
    await put.run(executor, { id: 'x', attempts: 0, expires_at: 5, note: null });
    expect(executor.ran[0]?.parameters).toEqual(['x', 0, 5, null, 'x', 0, 5, null]);
  });

  it('refuses a value the query has no place for, so no column is dropped without a word', () => {
    const find = new Prepared<{ id: string }, Db['codes']>((p) =>
      db.selectFrom('codes').selectAll().where('id', '=', p('id')),
    );
    expect(() => find.run(recorder(), { id: 'a', note: 'x' } as never)).toThrow(/no parameter "note"/);
  });

  it('refuses to prepare a query that folded a stand-in into its SQL', () => {
    expect(
      () =>
        new Prepared<{ id: string }, Db['codes']>((p) =>
          db
            .selectFrom('codes')
            .selectAll()
            .where(sql.raw<boolean>(`id = '${String(p('id'))}'`)),
        ),
    ).toThrow(/"id" is not a parameter/);
  });
});
