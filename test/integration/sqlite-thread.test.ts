import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteThread, SqliteThreadDialect } from '../../src/store/sqlite-thread.ts';

/** A promise and the function that settles it (Promise.withResolvers, which Node 20 lacks). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

interface Tables {
  t: { id: number; note: string };
}

/** The SQLite connection on its own thread (src/store/sqlite-thread.ts), on a real file. */
describe('SQLite on its own thread', () => {
  let dir: string;
  let db: Kysely<Tables>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-thread-'));
    const thread = new SqliteThread({
      file: join(dir, 'test.db'),
      pragmas: ['journal_mode = WAL', 'busy_timeout = 5000'],
    });
    db = new Kysely<Tables>({ dialect: new SqliteThreadDialect(thread) });
    await sql`create table t (id integer primary key, note text not null)`.execute(db);
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the event loop free while SQLite works', async () => {
    const order: string[] = [];
    const slow = sql<{ n: number }>`
      with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000)
      select count(*) as n from c`
      .execute(db)
      .then((r) => order.push(`query ${r.rows[0]?.n}`));
    // On the server's thread, better-sqlite3 would run the whole query before this timer could fire.
    const timer = new Promise((resolve) => setTimeout(resolve, 0)).then(() => order.push('timer'));
    await Promise.all([slow, timer]);
    expect(order).toEqual(['timer', 'query 3000000']);
  });

  it('keeps a transaction to itself: other statements wait for its end and are not part of it', async () => {
    const { promise: held, resolve: inside } = signal();
    const { promise: gate, resolve: release } = signal();
    const transaction = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('t').values({ id: 1, note: 'in the transaction' }).execute();
        inside();
        await gate;
        throw new Error('roll it back');
      })
      .catch((error: Error) => error.message);
    await held;
    // Sent while the transaction is open: must neither see its row nor be rolled back with it.
    const outsideWrite = db.insertInto('t').values({ id: 2, note: 'outside' }).execute();
    const outsideRead = db.selectFrom('t').select('id').execute();
    release();
    expect(await transaction).toBe('roll it back');
    await outsideWrite;
    expect((await outsideRead).map((r) => r.id)).toEqual([2]);
    expect((await db.selectFrom('t').select('id').execute()).map((r) => r.id)).toEqual([2]);
  });

  it('keeps a transaction SQLite rolled back by itself to its owner, and throws the error that did it', async () => {
    const { promise: held, resolve: inside } = signal();
    const { promise: gate, resolve: release } = signal();
    let seen: number[] = [];
    const transaction = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('t').values({ id: 1, note: 'first' }).execute();
        // A conflict under OR ROLLBACK makes SQLite roll the whole transaction back itself.
        const error = await sql`insert or rollback into t (id, note) values (1, 'again')`
          .execute(trx)
          .catch((e: unknown) => e);
        inside();
        await gate;
        seen = (await trx.selectFrom('t').select('id').execute()).map((r) => r.id);
        throw error;
      })
      .catch((error: { code?: string }) => error.code);
    await held;
    const outside = db.insertInto('t').values({ id: 2, note: 'outside' }).execute();
    // Long enough for the outside write to reach the thread, which must hold it back.
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    expect(await transaction).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(seen).toEqual([]);
    await outside;
    expect((await db.selectFrom('t').select('id').execute()).map((r) => r.id)).toEqual([2]);
  });

  it('runs the statements of one caller in the order sent', async () => {
    const writes = Array.from({ length: 200 }, (_, i) =>
      db
        .insertInto('t')
        .values({ id: i, note: `n${i}` })
        .execute(),
    );
    const count = db
      .selectFrom('t')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    await Promise.all(writes);
    expect((await count)?.n).toBe(200);
  });

  it("keeps SQLite's error code", async () => {
    await db.insertInto('t').values({ id: 1, note: 'a' }).execute();
    const error = await db
      .insertInto('t')
      .values({ id: 1, note: 'b' })
      .execute()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(String((error as Error).message)).toContain('UNIQUE constraint failed');
  });

  it('refuses statements once closed instead of leaving them waiting', async () => {
    const thread = new SqliteThread({ file: join(dir, 'closed.db'), pragmas: [] });
    const closed = new Kysely<Tables>({ dialect: new SqliteThreadDialect(thread) });
    await sql`select 1`.execute(closed);
    await closed.destroy();
    const refused = thread.query(thread.connection(), sql`select 1`.compile(closed));
    // The code store/unavailable.ts answers 503 to.
    await expect(refused).rejects.toMatchObject({ code: 'SQLITE_THREAD_EXITED' });
    await expect(refused).rejects.toThrow(/SQLite thread exited/);
  });

  it('refuses only the statement whose parameter cannot be sent, and goes on', async () => {
    const unsendable = sql`select ${Symbol('not cloneable') as unknown as string} as x`.execute(db);
    const write = db.insertInto('t').values({ id: 7, note: 'same turn' }).execute();
    await expect(unsendable).rejects.toMatchObject({ code: 'SQLITE_MISUSE' });
    await write;
    expect(await db.selectFrom('t').select('id').execute()).toEqual([{ id: 7 }]);
  });
});
