import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  type Kysely,
  PostgresIntrospector,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely';

const MIGRATION_TABLES = ['kysely_migration', 'kysely_migration_lock'];

/**
 * Kysely's introspection on PostgreSQL, but of the connection's current schema only (the one
 * Tessera's tables and migrations live in). Kysely's own reads every table of every schema in the
 * database and resolves each schema by name; a schema that another client drops meanwhile makes
 * that query fail ("schema … does not exist"), and with it the migrations, so an instance would not
 * start while anything else on the same database (another deployment's tests, a tenant's teardown)
 * dropped schemas. Reading one schema is also what a database with many schemas wants. Nothing
 * here looks a table or schema up by name (a serial column is found through pg_depend), so a
 * table dropped meanwhile in the same schema cannot fail it either.
 */
export class SchemaIntrospector implements DatabaseIntrospector {
  private readonly all: PostgresIntrospector;

  constructor(private readonly db: Kysely<unknown>) {
    this.all = new PostgresIntrospector(db);
  }

  /** Every schema's name (a plain catalog read, which a concurrent drop cannot break). */
  getSchemas(): Promise<SchemaMetadata[]> {
    return this.all.getSchemas();
  }

  async getTables(
    options: DatabaseMetadataOptions = { withInternalKyselyTables: false },
  ): Promise<TableMetadata[]> {
    const query = sql<{
      table: string;
      schema: string;
      is_view: boolean;
      column: string;
      type: string;
      type_schema: string;
      not_null: boolean;
      has_default: boolean;
      auto_incrementing: boolean;
      comment: string | null;
    }>`
      select c.relname as table, ns.nspname as schema, c.relkind = 'v' as is_view,
             a.attname as column, typ.typname as type, tns.nspname as type_schema,
             a.attnotnull as not_null, a.atthasdef as has_default,
             (a.attidentity <> '' or exists (
               select 1 from pg_catalog.pg_depend d
               join pg_catalog.pg_class seq on seq.oid = d.objid and seq.relkind = 'S'
               where d.classid = 'pg_catalog.pg_class'::regclass and d.refobjid = c.oid
                 and d.refobjsubid = a.attnum and d.deptype in ('a', 'i')
             )) as auto_incrementing,
             col_description(a.attrelid, a.attnum) as comment
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
      join pg_catalog.pg_attribute a on a.attrelid = c.oid
      join pg_catalog.pg_type typ on typ.oid = a.atttypid
      join pg_catalog.pg_namespace tns on tns.oid = typ.typnamespace
      where ns.nspname = current_schema()
        and c.relkind in ('r', 'v', 'p')
        and a.attnum > 0 and not a.attisdropped
      order by c.relname, a.attnum
    `;
    // A catalog read never gains from JIT compilation. Yet where many tables came and went (schemas
    // made and dropped: tests, tenants), the catalogs hold dead rows until a vacuum, the planner
    // counts them, the estimate passes jit_above_cost, and compiling took ten times the query
    // (340 of 390 ms, at each of a migration's two reads).
    const withoutJit = async (db: Kysely<unknown>) => {
      await sql`set local jit = off`.execute(db);
      return query.execute(db);
    };
    const { rows } = this.db.isTransaction
      ? await withoutJit(this.db)
      : await this.db.transaction().execute(withoutJit);
    const tables = new Map<string, TableMetadata>();
    for (const row of rows) {
      if (!options.withInternalKyselyTables && MIGRATION_TABLES.includes(row.table)) continue;
      let table = tables.get(row.table);
      if (!table) {
        table = { name: row.table, schema: row.schema, isView: row.is_view, columns: [] };
        tables.set(row.table, table);
      }
      table.columns.push({
        name: row.column,
        dataType: row.type,
        dataTypeSchema: row.type_schema,
        isNullable: !row.not_null,
        hasDefaultValue: row.has_default,
        isAutoIncrementing: row.auto_incrementing,
        ...(row.comment !== null && { comment: row.comment }),
      });
    }
    return [...tables.values()];
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}
