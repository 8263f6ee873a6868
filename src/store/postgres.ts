import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { KyselyStore } from './kysely-store.ts';
import { SchemaIntrospector } from './schema-introspector.ts';
import type { ConnectionCodec } from './store.ts';
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
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    connectionTimeoutMillis: 10_000,
    // A connection that breaks while idle is dropped from the pool, not thrown into the process.
    idleTimeoutMillis: 30_000,
    ...(options.schema !== undefined && { options: `-c search_path=${quoteSchema(options.schema)}` }),
  });
  // A connection that breaks (the server restarts, the network drops) is reported to the query
  // using it, if any; the event itself must not go unhandled, or it would end the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }) });
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
  return new KyselyStore(db, connectionCodec, { schema });
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
