import pg from 'pg';
import { localTcpPorts } from './host.ts';
import { round } from './load.ts';

/**
 * The bench's side of PostgreSQL: a schema of its own per login run (made by the server's
 * migrations, dropped afterwards), an existing user base seeded in SQL, and a look at what the
 * server's connections do while the load runs.
 */

/** A schema name no other run uses, valid for `database_schema`. */
export function benchSchema(): string {
  return `bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await withClient(url, (client) => client.query(`drop schema if exists ${ident(schema)} cascade`));
}

/**
 * Adds `count` users to `schema`.users straight in SQL (generate_series, 100,000 rows a statement),
 * with the same columns and values as the SQLite seed, then ANALYZEs the table as a database that
 * has been running would have been. The table must exist: the server's migrations make it.
 */
export async function seedUsersPostgres(url: string, schema: string, count: number): Promise<number> {
  const started = Date.now();
  await withClient(url, async (client) => {
    const now = Date.now();
    for (let from = 0; from < count; from += 100_000) {
      const to = Math.min(count, from + 100_000) - 1;
      await client.query(
        `insert into ${ident(schema)}.users (user_id, connection, email, email_verified, phone_number,
           phone_verified, name, nickname, picture, created_at, updated_at, last_login, last_ip, logins_count,
           app_metadata, user_metadata, blocked)
         select 'email|' || substr(md5(random()::text || i::text), 1, 24), 'email',
           'seeded-' || i || '@seed.example', 1, null, 0, 'seeded-' || i || '@seed.example', 'seeded-' || i,
           null, $3::bigint, $3::bigint, $3::bigint, '127.0.0.1', 1, '{}', '{}', 0
         from generate_series($1::int, $2::int) as i`,
        [from, to, now],
      );
    }
    await client.query(`analyze ${ident(schema)}.users`);
  });
  return (Date.now() - started) / 1000;
}

/** What the server processes' database connections did during a window, sampled from pg_stat_activity. */
export interface DatabaseActivity {
  samples: number;
  /** Connections the servers held open (most seen at once, all instances). */
  connections: number;
  /** Connections in use (running a statement or inside a transaction), all instances together. */
  busy: { mean: number; max: number };
  /** Share of samples in which an instance had every connection of its pool in use. */
  poolFullShare: number;
  /** What busy connections were doing: a wait event, or `CPU` when running. Share of busy samples. */
  waits: [string, number][];
  /** The statements seen most often in busy connections: where the database's time goes. */
  statements: [string, number][];
  /** Sequential scans in the run's schema during the window (table: scans, rows read). */
  seqScans: Record<string, { scans: number; rows: number }>;
  deadlocks: number;
  /**
   * Transactions committed in the database during the window, less the sampler's own: with
   * autocommit statements, about the statements run (reads too). Counted from pg_stat_database,
   * which backends update about once a second, so approximate; other users of the database add to it.
   */
  commits: number;
}

/**
 * Samples pg_stat_activity every `intervalMs` for the connections of the given server processes
 * (matched by their local TCP ports), like a sampling profiler of the database side.
 */
export class ActivitySampler {
  private readonly waits = new Map<string, number>();
  private readonly statements = new Map<string, number>();
  private samples = 0;
  private busySum = 0;
  private busyMax = 0;
  private connectionsMax = 0;
  private poolFull = 0;
  private portsOf = new Map<number, Set<number>>();
  private running: Promise<void> | undefined;
  private stopping = false;
  private before: TableCounters | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly schema: string,
    private readonly pids: number[],
    private readonly poolSize: number,
  ) {}

  static async start(
    url: string,
    schema: string,
    pids: number[],
    poolSize: number,
    intervalMs = 50,
  ): Promise<ActivitySampler> {
    const client = new pg.Client({ connectionString: url, application_name: 'tessera-bench-sampler' });
    // A dropped connection fails the sampler's next query; the event itself must not end the bench.
    client.on('error', () => {});
    await client.connect();
    const sampler = new ActivitySampler(client, schema, pids, poolSize);
    sampler.before = await sampler.tableCounters();
    sampler.running = sampler.loop(intervalMs);
    return sampler;
  }

  async stop(): Promise<DatabaseActivity> {
    this.stopping = true;
    await this.running;
    const after = await this.tableCounters();
    await this.client.end();
    const before = this.before as TableCounters;
    const seqScans: DatabaseActivity['seqScans'] = {};
    for (const [table, now] of after.tables) {
      const then = before.tables.get(table) ?? { scans: 0, rows: 0 };
      if (now.scans > then.scans)
        seqScans[table] = { scans: now.scans - then.scans, rows: now.rows - then.rows };
    }
    const busySamples = Math.max(1, this.busySum);
    return {
      samples: this.samples,
      connections: this.connectionsMax,
      busy: { mean: round(this.busySum / Math.max(1, this.samples)), max: this.busyMax },
      poolFullShare: round(this.poolFull / Math.max(1, this.samples * this.pids.length), 3),
      waits: top(this.waits, busySamples),
      statements: top(this.statements, busySamples),
      seqScans,
      deadlocks: after.deadlocks - before.deadlocks,
      commits: Math.max(0, after.commits - before.commits - this.samples),
    };
  }

  private async loop(intervalMs: number): Promise<void> {
    while (!this.stopping) {
      if (this.samples % 10 === 0) this.portsOf = new Map(this.pids.map((pid) => [pid, localTcpPorts(pid)]));
      await this.sample();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  private async sample(): Promise<void> {
    const { rows } = await this.client.query<{
      client_port: number | null;
      state: string | null;
      wait_event_type: string | null;
      wait_event: string | null;
      query: string;
    }>(
      `select client_port, state, wait_event_type, wait_event, left(query, 160) as query
       from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`,
    );
    this.samples++;
    let connections = 0;
    let busy = 0;
    for (const ports of this.portsOf.values()) {
      let busyHere = 0;
      for (const row of rows) {
        if (row.client_port === null || !ports.has(row.client_port)) continue;
        connections++;
        if (row.state === 'idle') continue;
        busyHere++;
        const wait = row.wait_event ? `${row.wait_event_type}:${row.wait_event}` : 'CPU';
        const statement = row.state === 'active' ? row.query.replace(/\s+/g, ' ') : `(${row.state})`;
        this.waits.set(wait, (this.waits.get(wait) ?? 0) + 1);
        this.statements.set(statement, (this.statements.get(statement) ?? 0) + 1);
      }
      if (busyHere >= this.poolSize) this.poolFull++;
      busy += busyHere;
    }
    this.busySum += busy;
    this.busyMax = Math.max(this.busyMax, busy);
    this.connectionsMax = Math.max(this.connectionsMax, connections);
  }

  private async tableCounters(): Promise<TableCounters> {
    const tables = await this.client.query<{ relname: string; seq_scan: string; seq_tup_read: string }>(
      'select relname, seq_scan, seq_tup_read from pg_stat_user_tables where schemaname = $1',
      [this.schema],
    );
    const database = await this.client.query<{ deadlocks: string; xact_commit: string }>(
      'select deadlocks, xact_commit from pg_stat_database where datname = current_database()',
    );
    return {
      tables: new Map(
        tables.rows.map((r) => [r.relname, { scans: Number(r.seq_scan), rows: Number(r.seq_tup_read) }]),
      ),
      deadlocks: Number(database.rows[0]?.deadlocks ?? 0),
      commits: Number(database.rows[0]?.xact_commit ?? 0),
    };
  }
}

interface TableCounters {
  tables: Map<string, { scans: number; rows: number }>;
  deadlocks: number;
  commits: number;
}

function top(counts: Map<string, number>, total: number, n = 6): [string, number][] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, count]) => [key, round(count / total, 3)]);
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Schema names are made here or checked by the config's pattern; quoting keeps them exact anyway. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
