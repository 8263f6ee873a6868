import { type Kysely, sql } from 'kysely';
import type {
  ApplicationCodec,
  ConnectionCodec,
  SettingsStore,
  Store,
  StoreLifecycle,
} from '../core/ports/store.ts';
import { authorizationCodeStore, loginCodeStore } from './codes.ts';
import { applicationStore, connectionStore, settingsStore } from './configuration.ts';
import type { StoreHealth } from './health.ts';
import { purgeStore } from './housekeeping.ts';
import { logStore } from './logs.ts';
import { devInboxStore, outboxStore } from './messages.ts';
import { type MigrationSetup, migrateToLatest } from './migrator.ts';
import { roleStore } from './roles.ts';
import { signingKeyStore } from './signing-keys.ts';
import type { Database } from './tables.ts';
import { loginTicketStore, refreshTokenStore, sessionStore } from './tokens.ts';
import { userStore } from './users.ts';

/** The Store over Kysely, and the database under it (the contract tests look at what is stored). */
export interface KyselyStore extends Store {
  readonly db: Kysely<Database>;
}

export interface KyselyStoreOptions {
  /** How connections are written to their rows (default: plain JSON). */
  connectionCodec?: ConnectionCodec;
  /** How applications are written to their rows (default: plain JSON). */
  applicationCodec?: ApplicationCodec;
  /** Where and how migrations run: PostgreSQL names its schema, SQLite takes the file's write lock. */
  migrations?: MigrationSetup;
  /** How long applications and connections read are kept (default CONFIG_CACHE_MS). */
  configCacheMs?: number;
  /** What the driver's statements have found out about the database (outages), when it reports. */
  health?: StoreHealth;
}

/**
 * The Store over Kysely: one set of queries for every SQL dialect, one file per aggregate; this
 * only puts the roles together on one database.
 */
export function kyselyStore(db: Kysely<Database>, options: KyselyStoreOptions = {}): KyselyStore {
  const settings = settingsStore(db);
  return {
    db,
    ...lifecycle(db, options.migrations ?? {}, settings, options.health),
    ...settings,
    ...applicationStore(db, options.applicationCodec, options.configCacheMs),
    ...connectionStore(db, options.connectionCodec, options.configCacheMs),
    ...userStore(db),
    ...roleStore(db),
    ...loginCodeStore(db),
    ...authorizationCodeStore(db),
    ...refreshTokenStore(db),
    ...sessionStore(db),
    ...loginTicketStore(db),
    ...signingKeyStore(db),
    ...devInboxStore(db),
    ...outboxStore(db),
    ...logStore(db),
    ...purgeStore(db),
  };
}

/** The setting readiness writes to, while the store cannot write, to find out whether it can again. */
const WRITE_PROBE_KEY = 'store.write_probe';

function lifecycle(
  db: Kysely<Database>,
  migrations: MigrationSetup,
  settings: SettingsStore,
  health: StoreHealth | undefined,
): StoreLifecycle {
  return {
    migrate: () => migrateToLatest(db, migrations),
    close: () => db.destroy(),
    async ping() {
      // A full disk leaves reads working: only a write shows whether it is over.
      if (health?.writesFailing) await settings.putSetting(WRITE_PROBE_KEY, String(Date.now()));
      else await sql`select 1`.execute(db);
    },
  };
}
