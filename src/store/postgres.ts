import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { ApplicationCodec, ConnectionCodec } from '../core/ports/store.ts';
import { StoreHealth } from './health.ts';
import { type KyselyStore, kyselyStore } from './kysely-store.ts';
import { GuardedPool } from './postgres-pool.ts';
import { SchemaIntrospector } from './schema-introspector.ts';
import type { Database } from './tables.ts';

const INT8 = 20;

/**
 * bigint columns (every timestamp) come back from PostgreSQL as strings; as numbers they match
 * what SQLite gives. Milliseconds since the epoch stay far below 2^53.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export interface PostgresOptions {
  /** Connections this instance keeps open (default 10). */
  poolSize?: number;
  /** A schema to work in instead of the connection's default (`public`); made if missing. */
  schema?: string;
  /** How long a request waits for a connection (a free one, or a new one) before it fails (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * How long a statement may take, waiting for its answer included, before it fails (default
   * 10 s): the server cancels it (statement_timeout) and the client gives up on it, so a slow or
   * silent network is bounded too. Migrations are not bounded.
   */
  statementTimeoutMs?: number;
  /** Requests that may wait for a free connection at once; more are refused at once (default 500). */
  maxWaiting?: number;
  /** Where the outcome of every statement goes (outages are logged there). */
  health?: StoreHealth;
  /** How long applications and connections read are kept (default CONFIG_CACHE_MS). */
  configCacheMs?: number;
  /** How applications are written to their rows (default: plain JSON). */
  applicationCodec?: ApplicationCodec;
}

/**
 * The Store on PostgreSQL: the same Kysely queries and migrations as SQLite, over a pg pool. The
 * migrator holds a PostgreSQL advisory lock, so instances starting at once migrate one at a time.
 */
export function openPostgresStore(
  url: string,
  connectionCodec?: ConnectionCodec,
  options: PostgresOptions = {},
): KyselyStore {
  const connection = {
    connectionString: url,
    types,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // A connection that breaks while idle is dropped from the pool, not thrown into the process.
    idleTimeoutMillis: 30_000,
    // A peer that vanished without closing (a failed-over host) is noticed on idle connections too.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.schema !== undefined && { options: `-c search_path=${quoteSchema(options.schema)}` }),
  };
  const statementTimeout = options.statementTimeoutMs ?? 10_000;
  const pool = quiet(
    new pg.Pool({
      ...connection,
      max: options.poolSize ?? 10,
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout,
    }),
  );
  const guarded = new GuardedPool(pool, options.health ?? new StoreHealth(), options.maxWaiting ?? 500);
  const db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool: guarded }) });
  const schema = async () => {
    if (options.schema === undefined) return currentSchema(db);
    try {
      await pool.query(`create schema if not exists ${quoteSchema(options.schema)}`);
    } catch (error) {
      // Two instances making the schema at once: one wins, the other sees a duplicate. Either way it exists.
      if (!['23505', '42P06'].includes((error as { code?: string }).code ?? '')) throw error;
    }
    return options.schema;
  };
  // Migrations run on a connection of their own, without the statement timeout: building an index
  // on a large table may take longer than any request should.
  const session = async <T>(run: (migrations: Kysely<Database>) => Promise<T>): Promise<T> => {
    const own = quiet(new pg.Pool({ ...connection, max: 1 }));
    const migrations = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool: own }) });
    try {
      return await run(migrations);
    } finally {
      await migrations.destroy();
    }
  };
  return kyselyStore(db, {
    connectionCodec,
    applicationCodec: options.applicationCodec,
    migrations: { schema, session },
    health: guarded.health,
    configCacheMs: options.configCacheMs,
  });
}

/**
 * A connection that breaks (the server restarts, the network drops) is reported to the query using
 * it, if any; the event itself must not go unhandled, or it would end the process.
 */
function quiet(pool: pg.Pool): pg.Pool {
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** Kysely's PostgreSQL dialect, introspecting only the schema Tessera works in (see SchemaIntrospector). */
class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): SchemaIntrospector {
    return new SchemaIntrospector(db);
  }
}

/** The schema unqualified tables go into: the first of the connection's search_path that exists. */
export async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('the database connection has no current schema (check search_path)');
  return schema;
}

function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  return schema;
}
