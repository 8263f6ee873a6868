import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { validateConfig } from '../src/config/load.ts';
import { closeTessera, openTessera } from '../src/tessera.ts';
import { round } from './load.ts';
import { benchSchema, dropSchema, seedUsersPostgres } from './postgres.ts';
import { seedUsers } from './seed.ts';
import { ServerProcess } from './server-process.ts';

export const OTP_GRANT = 'http://auth0.com/oauth/grant-type/passwordless/otp';
export const CLIENT_ID = 'bench-app-0000000001';
export const BENCH_CALLBACK = 'http://localhost:3000/callback';

/** `database_pool_size` when the bench does not set it: the server's own default. */
export const DEFAULT_POOL_SIZE = validateConfig({}).database_pool_size;

/** Where the servers under test keep their data. */
export type StoreTarget =
  | { kind: 'sqlite' }
  | {
      kind: 'postgres';
      databaseUrl: string;
      redisUrl: string;
      /** database_pool_size for each instance; the server's default (10) when unset. */
      poolSize?: number;
      instances: number;
    };

/** The servers of one login run on fresh data, and how to take it all down again. */
export interface Deployment {
  servers: ServerProcess[];
  /** The PostgreSQL schema of this run, when on PostgreSQL. */
  schema?: string;
  dispose(): Promise<void>;
}

const live = new Set<() => Promise<void>>();

/** Stops every server and removes every schema and directory still up (on Ctrl-C or a crash). */
export async function disposeAll(): Promise<void> {
  await Promise.allSettled([...live].map((dispose) => dispose()));
}

/**
 * Fresh data with the bench application and `users` existing users (SQLite: a new temporary data
 * directory; PostgreSQL: a new schema, and Redis counters under a prefix of their own), then the
 * Tessera processes on it, all started at once as a deployment's instances would be.
 */
export async function deploy(
  target: StoreTarget,
  alg: 'RS256' | 'ES256',
  users: number,
  log: (line: string) => void,
  /** The Tessera to run: another checkout's `bin/tessera.js` (bench/ab.ts); this one's by default. */
  bin?: string,
): Promise<Deployment> {
  // Seeding runs this checkout's migrations, which another checkout's server may not know.
  if (bin !== undefined && users > 0) throw new Error('another checkout can only be deployed without users');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const configFile = join(dir, 'tessera.json');
  const schema = target.kind === 'postgres' ? benchSchema() : undefined;
  const config = {
    // One issuer for every instance, as behind a load balancer: each would otherwise name its own
    // port, and refuse the access tokens of the others.
    issuer: 'http://localhost:8080/',
    // Every client is 127.0.0.1 here: limits far above any run.
    rate_limits: {
      start_per_ip_per_hour: 1_000_000_000,
      authorize_per_ip_per_minute: 1_000_000_000,
      start_per_application_per_hour: 1_000_000_000,
      verify_failures_per_ip: 1_000_000_000,
    },
    applications: [
      {
        client_id: CLIENT_ID,
        name: 'Bench',
        callbacks: [BENCH_CALLBACK],
        grant_types: [OTP_GRANT, 'refresh_token', 'authorization_code'],
        id_token_signing_alg: alg,
      },
    ],
    ...(target.kind === 'postgres' && {
      // The run's counters apart from any other server's or test's on the same Redis.
      redis_prefix: `${schema}:`,
      ...(target.poolSize !== undefined && { database_pool_size: target.poolSize }),
    }),
  };
  writeFileSync(configFile, JSON.stringify(config));
  const env: Record<string, string> = {
    TESSERA_DATA_DIR: dir,
    TESSERA_CONFIG: configFile,
    NODE_ENV: 'production',
    TESSERA_DEV_INBOX: 'true',
    LOG_LEVEL: 'warn',
    ...(target.kind === 'postgres' && {
      DATABASE_URL: target.databaseUrl,
      DATABASE_SCHEMA: schema as string,
      REDIS_URL: target.redisUrl,
      TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
    }),
  };
  let servers: ServerProcess[] = [];
  const dispose = async () => {
    live.delete(dispose);
    await Promise.all(servers.map((s) => s.stop()));
    if (target.kind === 'postgres' && schema !== undefined) {
      await dropSchema(target.databaseUrl, schema);
      await dropCounters(target.redisUrl, `${schema}:`);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  live.add(dispose);
  try {
    if (users > 0) {
      // This checkout's migrations and seeding make the tables; only then are users added to them.
      const opened = await openTessera(
        validateConfig({
          ...config,
          data_dir: dir,
          ...(target.kind === 'postgres' && {
            database_url: env.DATABASE_URL,
            database_schema: schema,
            master_key: env.TESSERA_MASTER_KEY,
          }),
        }),
        { logger: pino({ level: 'silent' }) },
      );
      await closeTessera(opened.ctx);
      const took =
        target.kind === 'postgres'
          ? await seedUsersPostgres(target.databaseUrl, schema as string, users)
          : seedUsers(dir, users);
      log(`  seeded ${users.toLocaleString('en')} users in ${round(took, 1)} s`);
    }
    const count = target.kind === 'postgres' ? target.instances : 1;
    // Without users to seed, each server migrates its own (fresh) data at start.
    const started = await Promise.allSettled(
      Array.from({ length: count }, () => ServerProcess.tessera(env, '/readyz', bin)),
    );
    servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return { servers, schema, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Deletes the run's rate-limit counters from Redis (they would expire within a day anyway). */
async function dropCounters(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
