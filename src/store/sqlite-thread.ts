import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { StoreHealth } from './health.ts';
import { isDatabaseUnavailable } from './unavailable.ts';

/** What the SQLite thread is started with. */
export interface WorkerSettings {
  file: string;
  /** Run in this order when the file is opened (`journal_mode = WAL`...). */
  pragmas: string[];
}

/** A statement for the SQLite thread, from one connection (see sqlite-worker.ts). */
export type Request =
  | { kind: 'query'; id: number; connection: number; sql: string; parameters: readonly unknown[] }
  | { kind: 'close'; id: number; connection: number };

/** The SQLite thread's answer to one request. */
export type Reply =
  | {
      id: number;
      rows: unknown[];
      changes?: number;
      lastInsertRowid?: bigint;
      /** A write reached the file: outside a transaction, or the commit of one that wrote. */
      wrote?: true;
      error?: undefined;
    }
  | { id: number; error: { name: string; message: string; code: string | undefined } };

/** The code of the error every statement gets once the SQLite thread is gone. */
export const THREAD_EXITED = 'SQLITE_THREAD_EXITED';

interface Waiter {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

/** An error SQLite raised on its thread, with better-sqlite3's `code` (SQLITE_BUSY...) kept. */
export class SqliteThreadError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * One SQLite connection (better-sqlite3) on a thread of its own, and the statements the server's
 * thread sends it. Statements from one caller run in the order sent; their results come back as
 * messages, so the server's thread never waits while SQLite works.
 */
export class SqliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Waiter>();
  private nextId = 0;
  private outgoing: Request[] = [];
  private exited: Error | undefined;
  private closing = false;

  constructor(
    settings: WorkerSettings,
    /** Told the outcome of every statement (a full disk, a dead thread, and when they are over). */
    private readonly health?: StoreHealth,
  ) {
    const options = {
      workerData: settings,
      // The thread only moves statements and rows: a small young generation keeps its memory small.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    };
    this.worker = import.meta.url.endsWith('.ts')
      ? // From the sources (tsx, the tests), the thread loads its TypeScript through tsx as well.
        new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
            `.then(({ register }) => { register(); return import(${JSON.stringify(new URL('./sqlite-worker.ts', import.meta.url).href)}); })`,
          { ...options, eval: true },
        )
      : new Worker(new URL('./sqlite-worker.js', import.meta.url), options);
    this.worker.on('message', (replies: Reply[]) => {
      for (const reply of replies) {
        this.report(reply);
        this.settle(reply.id, (waiter) => waiter.resolve(reply));
      }
    });
    // The store cannot answer any more: every statement under way and after is refused with a
    // code that answers 503 (store/unavailable.ts), and /readyz reports the store down.
    const gone = (why: string) => new SqliteThreadError('Error', `the SQLite thread ${why}`, THREAD_EXITED);
    this.worker.on('error', (error) => this.fail(gone(`failed: ${error.message}`)));
    this.worker.on('messageerror', (error) => this.fail(gone(`could not read a message: ${error.message}`)));
    this.worker.on('exit', (code) => this.fail(gone(`exited (${code})`)));
    // An idle store does not keep the process alive; a statement under way is awaited by its caller.
    this.worker.unref();
  }

  /** A new connection id: statements of one transaction must all carry the same one. */
  connection(): number {
    return this.nextId++;
  }

  async query(connection: number, query: CompiledQuery): Promise<QueryResult<unknown>> {
    const reply = await this.send({
      kind: 'query',
      id: this.nextId++,
      connection,
      sql: query.sql,
      parameters: query.parameters,
    });
    if (reply.error) throw new SqliteThreadError(reply.error.name, reply.error.message, reply.error.code);
    if (reply.changes === undefined) return { rows: reply.rows };
    return {
      rows: reply.rows,
      numAffectedRows: BigInt(reply.changes),
      ...(reply.lastInsertRowid !== undefined && { insertId: reply.lastInsertRowid }),
    };
  }

  /** Closes the database after every statement sent before, then ends the thread. */
  async close(): Promise<void> {
    if (this.exited) return;
    // The thread ends because it was told to: no outage to report.
    this.closing = true;
    await this.send({ kind: 'close', id: this.nextId++, connection: -1 });
    await this.worker.terminate();
  }

  private send(request: Request): Promise<Reply> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.pending.size === 0) this.worker.ref();
    const reply = new Promise<Reply>((resolve, reject) => this.pending.set(request.id, { resolve, reject }));
    // Statements sent in one turn of the event loop go to the thread in one message, sent once the
    // turn's callbacks have run: fewer, larger messages cost both threads less (about 10 % of a
    // login's CPU against one message per statement) for a delay of one turn.
    if (this.outgoing.length === 0) setImmediate(this.flush);
    this.outgoing.push(request);
    return reply;
  }

  private readonly flush = () => {
    const batch = this.outgoing;
    this.outgoing = [];
    // After an exit, fail() has refused every statement already.
    if (this.exited) return;
    try {
      this.worker.postMessage(batch);
    } catch {
      // A parameter the structured clone cannot copy (a function, a symbol): the other statements
      // go one by one, in order, and only that one is refused.
      for (const request of batch) {
        try {
          this.worker.postMessage([request]);
        } catch (error) {
          this.settle(request.id, (waiter) =>
            waiter.reject(
              new SqliteThreadError(
                'TypeError',
                `a statement parameter cannot be sent to the SQLite thread: ${(error as Error).message}`,
                'SQLITE_MISUSE',
              ),
            ),
          );
        }
      }
    }
  };

  private settle(id: number, how: (waiter: Waiter) => void): void {
    const waiter = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    if (waiter) how(waiter);
  }

  private report(reply: Reply): void {
    if (!this.health) return;
    if (reply.error === undefined) this.health.answered(reply.wrote === true);
    else if (isDatabaseUnavailable(reply.error)) this.health.fault(reply.error);
    else this.health.answered(false);
  }

  private fail(error: Error): void {
    if (!this.closing) this.health?.fault(error);
    this.exited ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** Kysely's SQLite dialect, with the statements run on a SqliteThread. */
export class SqliteThreadDialect implements Dialect {
  constructor(private readonly thread: SqliteThread) {}

  createDriver(): Driver {
    return new SqliteThreadDriver(this.thread);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own dialects take Kysely<any> here.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * Every acquired connection is a new id on the one SQLite connection: statements go to the thread
 * at once (no lock to wait for on this thread), and the thread keeps each transaction to itself.
 */
class SqliteThreadDriver implements Driver {
  constructor(private readonly thread: SqliteThread) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const thread = this.thread;
    const id = thread.connection();
    return {
      executeQuery: <R>(query: CompiledQuery) => thread.query(id, query) as Promise<QueryResult<R>>,
      // biome-ignore lint/correctness/useYield: not supported, as in better-sqlite3's own dialect on other runtimes.
      streamQuery: async function* () {
        throw new Error('streaming queries are not supported on SQLite');
      },
    };
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } catch (error) {
      if (!alreadyRolledBack(error)) throw error;
    }
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    await this.thread.close();
  }
}

/**
 * Whether a rollback failed only because SQLite had already rolled the transaction back by itself
 * (after a disk-full error, an OR ROLLBACK conflict): not an error, so that the one that caused it
 * is the one thrown.
 */
export function alreadyRolledBack(error: unknown): boolean {
  return error instanceof Error && /no transaction is active/.test(error.message);
}
