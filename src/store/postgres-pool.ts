import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import type { StoreHealth } from './health.ts';
import { isDatabaseUnavailable, StoreUnavailableError } from './unavailable.ts';

/**
 * The pg pool as Kysely sees it, with three guards a database outage needs:
 * - while the database is down (StoreHealth), one connection at a time is let through to find
 *   out whether it is back, and every other request is refused at once: a black-holed database
 *   costs one request its timeout, not every request;
 * - at most `maxWaiting` requests wait for a free connection; past that they are refused at once,
 *   so a slow database cannot pile up requests (and their memory) without limit;
 * - a connection whose statement failed for the database's sake (reset, timed out) is destroyed
 *   instead of going back to the pool, where its late answer would be read by the next query.
 * Every statement's outcome is reported to the StoreHealth.
 */
export class GuardedPool implements PostgresPool {
  private readonly clients = new WeakMap<pg.PoolClient, GuardedClient>();
  /** True while a connection let through during an outage is out. */
  probing = false;

  constructor(
    readonly pool: pg.Pool,
    readonly health: StoreHealth,
    private readonly maxWaiting: number,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    const probe = !this.health.up;
    if (probe) {
      if (this.probing)
        throw new StoreUnavailableError(`the database is unavailable (${this.health.reason})`);
      this.probing = true;
    } else if (this.pool.waitingCount >= this.maxWaiting) {
      throw new StoreUnavailableError(
        `${this.maxWaiting} requests are already waiting for a database connection`,
      );
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      if (probe) this.probing = false;
      if (isDatabaseUnavailable(error)) this.health.fault(error);
      throw error;
    }
    let guarded = this.clients.get(client);
    if (!guarded) {
      guarded = new GuardedClient(client, this);
      this.clients.set(client, guarded);
    }
    guarded.probe = probe;
    return guarded;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

class GuardedClient implements PostgresPoolClient {
  probe = false;
  /** Why this connection must not be used again, once a statement has found it broken. */
  private broken: Error | undefined;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly guard: GuardedPool,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sql: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // Kysely sends cursors only for streamed queries, which Tessera never makes.
    if (typeof sql !== 'string') throw new Error('streamed queries are not supported');
    return this.run<R>(sql, parameters ?? []);
  }

  private async run<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    const health = this.guard.health;
    try {
      const result = await this.client.query(sql, parameters as unknown[]);
      health.answered(!sql.startsWith('select'));
      return result as unknown as PostgresQueryResult<R>;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        // The database answered, with an error of the statement's own (a duplicate key...).
        health.answered(false);
        throw error;
      }
      health.fault(error);
      // A statement the server cancelled (statement_timeout) leaves its connection sound.
      if ((error as { code?: unknown }).code !== '57014') this.broken = error as Error;
      throw error;
    }
  }

  release(): void {
    const broken = this.broken;
    this.broken = undefined;
    if (this.probe) this.guard.probing = false;
    this.probe = false;
    // pg's pool destroys a client released with an error.
    this.client.release(broken);
  }
}
