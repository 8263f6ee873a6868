import type { PGlite } from '@electric-sql/pglite';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import type { ApplicationCodec, ConnectionCodec } from '../core/ports/store.ts';
import { type KyselyStore, kyselyStore } from './kysely-store.ts';
import { currentSchema } from './postgres.ts';
import { SchemaIntrospector } from './schema-introspector.ts';
import type { Database } from './tables.ts';

/**
 * The Store on PGlite (PostgreSQL compiled to WebAssembly, in this process): what the tests use for
 * PostgreSQL on a machine without a server. The caller makes the PGlite instance, with bigint
 * columns parsed as numbers (`parsers: { 20: Number }`), and owns the package.
 */
export function openPgliteStore(
  pglite: PGlite,
  connectionCodec?: ConnectionCodec,
  options: { configCacheMs?: number; applicationCodec?: ApplicationCodec } = {},
): KyselyStore {
  const db = new Kysely<Database>({ dialect: new PgliteDialect(pglite) });
  return kyselyStore(db, {
    connectionCodec,
    applicationCodec: options.applicationCodec,
    migrations: { schema: () => currentSchema(db) },
    configCacheMs: options.configCacheMs,
  });
}

class PgliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PgliteDriver(this.pglite);
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SchemaIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

/** The turn of each PGlite instance: every store on it shares its one session. */
const queues = new WeakMap<PGlite, { tail: Promise<void> }>();

/** PGlite is one connection: callers take turns, a transaction holding it until it ends. */
class PgliteDriver implements Driver {
  private readonly queue: { tail: Promise<void> };
  private readonly connection: PgliteConnection;

  constructor(private readonly pglite: PGlite) {
    this.connection = new PgliteConnection(pglite);
    let queue = queues.get(pglite);
    if (!queue) {
      queue = { tail: Promise.resolve() };
      queues.set(pglite, queue);
    }
    this.queue = queue;
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue.tail;
    let release!: () => void;
    this.queue.tail = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    this.connection.release = release;
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).run('begin');
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).run('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).run('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PgliteConnection).release();
  }

  async destroy(): Promise<void> {
    // The caller made the PGlite instance and closes it.
  }
}

class PgliteConnection implements DatabaseConnection {
  release: () => void = () => {};

  constructor(private readonly pglite: PGlite) {}

  async run(text: string): Promise<void> {
    await this.pglite.query(text);
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(compiled.sql, [...compiled.parameters]);
    return {
      rows: result.rows,
      ...(result.affectedRows !== undefined && { numAffectedRows: BigInt(result.affectedRows) }),
    };
  }

  // biome-ignore lint/correctness/useYield: PGlite has no cursors; Kysely's stream() is unused here.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not stream query results');
  }
}
