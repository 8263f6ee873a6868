import { type Kysely, PostgresAdapter, type RawBuilder, type SqlBool, sql } from 'kysely';
import {
  CASELESS_COLUMNS,
  type FilterValue,
  type UserColumn,
  type UserFilter,
  type UserQuery,
  type UserSort,
} from '../core/user-query.ts';
import type { Database } from './tables.ts';

/**
 * A user search (core/user-query.ts) as one SQL statement, the same on SQLite and PostgreSQL but
 * for metadata: SQLite reads it with json_each, PostgreSQL with a JSON path. Every value and path
 * travels as a bound parameter; only column names from a fixed list are written into the SQL.
 */

export type SqlDialect = 'sqlite' | 'postgres';

export function dialectOf(db: Kysely<Database>): SqlDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** The statement that selects a page of matching users, and the one that counts them all. */
export function userSearch(db: Kysely<Database>, dialect: SqlDialect, query: UserQuery) {
  const where = query.filter ? condition(dialect, query.filter) : sql<SqlBool>`1 = 1`;
  const page = db
    .selectFrom('users')
    .selectAll()
    .where(where)
    .orderBy(nullsLast(query.sort))
    .orderBy(sql.ref(query.sort?.column ?? 'created_at'), query.sort?.descending ? 'desc' : 'asc')
    .orderBy('user_id')
    .limit(query.limit)
    .offset(query.offset);
  const count = db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('total'))
    .where(where);
  return { page, count };
}

/** Users without a value (no login yet) come last whichever way the list runs, on both databases. */
function nullsLast(sort: UserSort | undefined) {
  return sql`(${sql.ref(sort?.column ?? 'created_at')} is null)`;
}

function condition(dialect: SqlDialect, filter: UserFilter): RawBuilder<SqlBool> {
  switch (filter.kind) {
    case 'all':
    case 'any': {
      const parts = filter.filters.map((f) => condition(dialect, f));
      return sql<SqlBool>`(${sql.join(parts, filter.kind === 'all' ? sql` and ` : sql` or `)})`;
    }
    case 'not':
      // A user without the value does not match it, so NOT matches them (as a search engine does).
      return sql<SqlBool>`not coalesce(${condition(dialect, filter.filter)}, false)`;
    default:
      return 'column' in filter.field
        ? columnCondition(filter.field.column, filter)
        : metadataCondition(dialect, filter.field.metadata, filter.field.path, filter);
  }
}

type Leaf = Exclude<UserFilter, { kind: 'all' | 'any' | 'not' }>;

const FLAGS: readonly UserColumn[] = ['blocked', 'email_verified', 'phone_verified'];

function columnCondition(column: UserColumn, filter: Leaf): RawBuilder<SqlBool> {
  const caseless = CASELESS_COLUMNS.includes(column);
  // Emails are stored lower-cased (core/identifiers.ts): compared as they are, their index serves.
  const ref = caseless && column !== 'email' ? sql`lower(${sql.ref(column)})` : sql.ref(column);
  switch (filter.kind) {
    case 'equals':
      return sql<SqlBool>`${ref} = ${sqlValue(column, filter.value, caseless)}`;
    case 'prefix': {
      const prefix = caseless ? filter.prefix.toLowerCase() : filter.prefix;
      return sql<SqlBool>`substr(${ref}, 1, ${sql.lit([...prefix].length)}) = ${prefix}`;
    }
    case 'present':
      return sql<SqlBool>`${sql.ref(column)} is not null`;
    case 'range':
      return range(sql.ref(column), filter);
  }
}

function sqlValue(column: UserColumn, value: FilterValue, caseless: boolean): string | number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (FLAGS.includes(column) || typeof value === 'number') return value;
  return caseless ? value.toLowerCase() : value;
}

function range(ref: RawBuilder<unknown> | ReturnType<typeof sql.ref>, filter: Leaf & { kind: 'range' }) {
  const parts: RawBuilder<SqlBool>[] = [];
  if (filter.min) parts.push(sql`${ref} ${sql.raw(filter.min.inclusive ? '>=' : '>')} ${filter.min.value}`);
  if (filter.max) parts.push(sql`${ref} ${sql.raw(filter.max.inclusive ? '<=' : '<')} ${filter.max.value}`);
  if (parts.length === 0) return sql<SqlBool>`${ref} is not null`;
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

function metadataCondition(
  dialect: SqlDialect,
  column: 'app_metadata' | 'user_metadata',
  path: readonly string[],
  filter: Leaf,
): RawBuilder<SqlBool> {
  const ref = sql.ref(`users.${column}`);
  // Keys are letters, digits, _ and - (core/user-search.ts), quoted all the same.
  const jsonPath = `$${path.map((key) => `."${key}"`).join('')}`;
  return dialect === 'postgres'
    ? postgresMetadata(ref, jsonPath, filter)
    : sqliteMetadata(ref, jsonPath, filter);
}

/**
 * SQLite: json_each at the path yields the value itself, or each element of an array there (an
 * object there is no match); `j.type` says which JSON type each is.
 */
function sqliteMetadata(ref: RawBuilder<unknown>, path: string, filter: Leaf): RawBuilder<SqlBool> {
  if (filter.kind === 'present') return sql<SqlBool>`coalesce(json_type(${ref}, ${path}), 'null') <> 'null'`;
  const element = sqliteElement(filter);
  return sql<SqlBool>`(coalesce(json_type(${ref}, ${path}), 'object') <> 'object' and exists (select 1 from json_each(${ref}, ${path}) as j where ${element}))`;
}

function sqliteElement(filter: Exclude<Leaf, { kind: 'present' }>): RawBuilder<SqlBool> {
  const text = (value: string) => sql<SqlBool>`(j.type = 'text' and j.value = ${value})`;
  switch (filter.kind) {
    case 'equals': {
      const { value } = filter;
      if (typeof value === 'string') return text(value);
      if (typeof value === 'boolean')
        return sql<SqlBool>`(j.type = ${String(value)} or ${text(String(value))})`;
      return sql<SqlBool>`((j.type in ('integer', 'real') and j.value = ${value}) or ${text(String(value))})`;
    }
    case 'prefix':
      return sql<SqlBool>`(j.type = 'text' and substr(j.value, 1, ${sql.lit([...filter.prefix].length)}) = ${filter.prefix})`;
    case 'range':
      return sql<SqlBool>`(j.type in ('integer', 'real') and ${range(sql`j.value`, filter)})`;
  }
}

/**
 * PostgreSQL: a JSON path filter at the path, whose lax mode looks into an array's elements too;
 * the values go in as the path's variables.
 */
function postgresMetadata(ref: RawBuilder<unknown>, path: string, filter: Leaf): RawBuilder<SqlBool> {
  const [test, vars] = postgresElement(filter);
  return sql<SqlBool>`jsonb_path_exists(cast(${ref} as jsonb), cast(${`${path} ? (${test})`} as jsonpath), cast(${JSON.stringify(vars)} as jsonb))`;
}

function postgresElement(filter: Leaf): [string, Record<string, FilterValue>] {
  switch (filter.kind) {
    case 'present':
      return ['@ != null', {}];
    case 'equals':
      return typeof filter.value === 'string'
        ? ['@ == $v', { v: filter.value }]
        : ['@ == $v || @ == $s', { v: filter.value, s: String(filter.value) }];
    case 'prefix':
      return ['@ starts with $v', { v: filter.prefix }];
    case 'range': {
      const tests: string[] = [];
      const vars: Record<string, number> = {};
      if (filter.min) {
        tests.push(`@ ${filter.min.inclusive ? '>=' : '>'} $min`);
        vars.min = filter.min.value;
      }
      if (filter.max) {
        tests.push(`@ ${filter.max.inclusive ? '<=' : '<'} $max`);
        vars.max = filter.max.value;
      }
      return [tests.length ? `@.type() == "number" && ${tests.join(' && ')}` : '@.type() == "number"', vars];
    }
  }
}
