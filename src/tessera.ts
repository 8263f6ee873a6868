import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { sealedApplications } from './core/application-secrets.ts';
import { sealedConnections } from './core/connection-secrets.ts';
import type { Context } from './core/context.ts';
import { keyTimings } from './core/key-schedule.ts';
import { KeySet } from './core/keys.ts';
import type { Counters } from './core/ports/counters.ts';
import type { ApplicationCodec, ConnectionCodec, Store } from './core/ports/store.ts';
import { SecretBox } from './core/secret-box.ts';
import { type SeedResult, seedStore } from './core/seed.ts';
import { checkMasterKey, loadSecrets } from './core/server-secrets.ts';
import { type Clock, type Random, systemClock, systemRandom } from './core/sources.ts';
import { TenantLog } from './core/tenant-log.ts';
import { DevInbox, type InboxLogger } from './delivery/dev-inbox.ts';
import { templateProblems } from './delivery/message.ts';
import { Outbox, type OutboxLogger } from './delivery/outbox/outbox.ts';
import { ProviderRegistry, providerSecretPaths } from './delivery/providers.ts';
import { MemoryCounters } from './limits/counters.ts';
import type { CountersLogger } from './limits/redis-counters.ts';
import { Metrics } from './metrics.ts';
import { FailureStreak } from './store/failure-streak.ts';
import { StoreHealth } from './store/health.ts';
import { openSqliteStore } from './store/sqlite.ts';

export interface OpenOptions {
  clock?: Clock;
  random?: Random;
  logger: InboxLogger & OutboxLogger;
  /** Whether the config's applications and connections are written: see seedStore. Default `always`. */
  applyConfig?: 'always' | 'first-use';
}

export interface Opened {
  ctx: Context;
  seed: SeedResult;
  devInbox: boolean;
  /** The outbox behind ctx.delivery: a server starts its dispatcher, a one-off command need not. */
  outbox: Outbox;
  providers: ProviderRegistry;
  /** The tenant log behind ctx.tenantLog: a server starts its writes, and stops them last. */
  tenantLog: TenantLog;
}

/**
 * Whether the dev inbox is on. It shows every code to whoever can reach it, so unless the operator
 * says so it is on only in development on a loopback issuer (localhost, 127.0.0.1, ::1): a server
 * with a public issuer and a forgotten NODE_ENV does not publish its users' codes.
 */
export function devInboxEnabled(config: Config): boolean {
  if (config.dev_inbox !== undefined) return config.dev_inbox;
  const host = new URL(config.issuer).hostname;
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  return config.environment !== 'production' && loopback;
}

/** Opens the store, migrates it, seeds it, and loads keys and secrets: everything a server needs. */
export async function openTessera(config: Config, options: OpenOptions): Promise<Opened> {
  checkDeclaredConnections(config);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const box = new SecretBox(loadMasterKey(config));
  const metrics = new Metrics();
  const health = new StoreHealth(options.logger, (up) => metrics.setStoreUp(up));
  const codecs = {
    connections: sealedConnections(box, providerSecretPaths()),
    applications: sealedApplications(box),
  };
  const store = await openStore(config, codecs, health);
  try {
    await store.migrate();
    // Before anything is sealed or made with it: a wrong key must stop the start, not replace keys.
    await checkMasterKey(store, box);
    const seed = await seedStore(store, random, config, options.applyConfig);
    const secrets = await loadSecrets(store, box, random);
    // An ES256 key is made only once some application asks for ES256 id_tokens.
    const apps = await store.listApplications();
    const algorithms = apps.some((a) => a.id_token_signing_alg === 'ES256') ? (['ES256'] as const) : [];
    const keys = await KeySet.open(store, box, clock, {
      algorithms,
      timings: keyTimings(config, apps),
      log: options.logger,
    });
    const devInbox = devInboxEnabled(config);
    const inbox = devInbox
      ? new DevInbox(
          store,
          options.logger,
          () => random.hex(12),
          () => clock.now(),
        )
      : null;
    const providers = new ProviderRegistry(inbox);
    const tenantLog = new TenantLog({
      store,
      clock,
      random,
      metrics,
      writes: new FailureStreak('tenant log: writing events', options.logger, 1000, 30_000),
    });
    const outbox = new Outbox({
      store,
      registry: providers,
      clock,
      random,
      logger: options.logger,
      settings: config.delivery,
      box,
      metrics,
      tenantLog,
    });
    const ctx: Context = {
      config,
      store,
      clock,
      random,
      keys,
      secrets,
      delivery: outbox,
      counters: await openCounters(config, options.logger, metrics),
      metrics,
      tenantLog,
      log: options.logger,
    };
    return { ctx, seed, devInbox, outbox, providers, tenantLog };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Closes what openTessera opened: the store's connections and the counters'. */
export async function closeTessera(ctx: Context): Promise<void> {
  await ctx.counters.close?.();
  await ctx.store.close();
}

/** Redis counters (shared by every instance) when `redis_url` is set, else this process's memory. */
async function openCounters(config: Config, logger: CountersLogger, metrics: Metrics): Promise<Counters> {
  if (config.redis_url === undefined) return new MemoryCounters();
  // Loaded only when used: a server on one machine never holds the Redis client in memory.
  const { RedisCounters } = await import('./limits/redis-counters.ts');
  const counters = RedisCounters.open(config.redis_url, {
    logger,
    prefix: config.redis_prefix,
    timeoutMs: config.redis_timeout_ms,
    onDegraded: (degraded) => metrics.setCountersDegraded(degraded),
  });
  await counters.connected(3000);
  return counters;
}

/**
 * PostgreSQL when `database_url` is set, else the SQLite file `tessera.db` in data_dir. The
 * PostgreSQL driver is loaded only then, so a server on SQLite never holds it in memory.
 */
/** How the server writes connections and applications (their credentials sealed). */
export interface StoreCodecs {
  connections?: ConnectionCodec;
  applications?: ApplicationCodec;
}

export async function openStore(
  config: Config,
  codecs: StoreCodecs = {},
  health?: StoreHealth,
): Promise<Store> {
  if (config.database_url !== undefined) {
    const { openPostgresStore } = await import('./store/postgres.ts');
    return openPostgresStore(config.database_url, codecs.connections, {
      poolSize: config.database_pool_size,
      schema: config.database_schema,
      connectTimeoutMs: config.database_connect_timeout_ms,
      statementTimeoutMs: config.database_statement_timeout_ms,
      maxWaiting: config.database_max_waiting,
      health,
      applicationCodec: codecs.applications,
    });
  }
  return openSqliteStore(join(config.data_dir, 'tessera.db'), codecs.connections, {
    health,
    applicationCodec: codecs.applications,
  });
}

/** The master key: TESSERA_MASTER_KEY, else `master.key` in the data directory (made on first start). */
export function loadMasterKey(config: Config): Uint8Array {
  if (config.master_key !== undefined) {
    const key = Buffer.from(config.master_key, 'base64');
    if (key.length !== 32)
      throw new ConfigError('master_key (TESSERA_MASTER_KEY) must be 32 bytes, base64-encoded');
    return new Uint8Array(key);
  }
  if (config.database_url !== undefined)
    throw new ConfigError(
      'a PostgreSQL database (database_url) needs master_key (TESSERA_MASTER_KEY), the same on every instance: ' +
        'a key file in each data_dir would differ between instances',
    );
  const file = join(config.data_dir, 'master.key');
  mkdirSync(config.data_dir, { recursive: true });
  try {
    // 'wx' fails if the file exists: two processes starting at once keep whichever key came first.
    writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new ConfigError(`${file} does not hold a 32-byte base64 key`);
  return new Uint8Array(key);
}

/**
 * A connection declared in the config must be able to send: its templates render and its provider
 * settings make a provider. (The dev inbox being off in production is only warned about at start.)
 */
function checkDeclaredConnections(config: Config): void {
  const registry = new ProviderRegistry(null);
  const problems = config.connections.flatMap((connection) => [
    ...templateProblems(connection),
    ...(connection.options.provider === 'dev_inbox' ? [] : registry.problems(connection)),
  ]);
  if (problems.length > 0) throw new ConfigError(`configuration is invalid:\n  - ${problems.join('\n  - ')}`);
}
