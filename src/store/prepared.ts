import { type Compilable, type CompiledQuery, createQueryId, type QueryResult } from 'kysely';

/** What a prepared query runs on: the store's Kysely instance, or a transaction of it. */
export interface Executor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** Stands in a query for the value of `name`, given when the query runs. */
class Slot {
  constructor(readonly name: string) {}
}

/** Hands out the stand-in of a named value, typed as that value so that Kysely's builder accepts it. */
export type Slots<P> = <K extends keyof P & string>(name: K) => P[K];

/**
 * A query of fixed shape that Kysely builds and compiles once, then runs with new values: the same
 * SQL, with the run's values in place of the stand-ins. Building and compiling a query anew took
 * about a tenth of an instance's event loop in the login path (Kysely's immutable, frozen
 * operation trees, and the garbage they leave); the statements of a login now skip it. Only for
 * queries whose SQL never depends on the values (no `in` lists, no optional clauses).
 */
export class Prepared<P, Row> {
  private readonly compiled: CompiledQuery<Row>;
  /** For each parameter of the SQL: the name of the value it takes, or a constant of the query. */
  private readonly parameters: ReadonlyArray<{ slot: string } | { constant: unknown }>;
  private readonly names: ReadonlySet<string>;

  constructor(build: (slot: Slots<P>) => Compilable<Row>) {
    const named = new Map<string, Slot>();
    const slot = ((name: string) => {
      let s = named.get(name);
      if (!s) {
        s = new Slot(name);
        named.set(name, s);
      }
      return s;
    }) as Slots<P>;
    this.compiled = build(slot).compile();
    this.parameters = this.compiled.parameters.map((p) =>
      p instanceof Slot ? { slot: p.name } : { constant: p },
    );
    // A stand-in that did not become a parameter of its own (one Kysely serialised or folded into
    // the SQL) would silently lose its value: refuse the query instead.
    this.names = new Set(this.parameters.flatMap((p) => ('slot' in p ? [p.slot] : [])));
    for (const name of named.keys())
      if (!this.names.has(name))
        throw new Error(`prepared query: "${name}" is not a parameter of ${this.compiled.sql}`);
  }

  /**
   * Runs the query on `db` with `values`. A value the query has no place for is refused, so that a
   * column added to a row but not to the query cannot be dropped without a word.
   */
  run(db: Executor, values: P): Promise<QueryResult<Row>> {
    const given = values as Record<string, unknown>;
    for (const name in given)
      if (!this.names.has(name))
        throw new Error(`prepared query: no parameter "${name}" in ${this.compiled.sql}`);
    const parameters = this.parameters.map((p) => ('slot' in p ? given[p.slot] : p.constant));
    return db.executeQuery<Row>({ ...this.compiled, queryId: createQueryId(), parameters });
  }

  /** The first row the query returns, if any. */
  async first(db: Executor, values: P): Promise<Row | undefined> {
    return (await this.run(db, values)).rows[0];
  }
}

/** Every column of `columns` as its own stand-in: the values of an insert, or of an update's set. */
export function slotsFor<P, K extends keyof P & string>(slot: Slots<P>, columns: readonly K[]): Pick<P, K> {
  return Object.fromEntries(columns.map((c) => [c, slot(c)])) as Pick<P, K>;
}
