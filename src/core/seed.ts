import { ApplicationSchema, ConnectionSchema, PASSWORDLESS_OTP_GRANT } from '../config/schema.ts';
import { applySchema } from '../config/validate.ts';
import type { Application, Connection } from './model.ts';
import type { ApplicationStore, ConnectionStore, SettingsStore } from './ports/store.ts';
import type { Random } from './sources.ts';

/** What seeding reads and writes. */
type SeededStore = SettingsStore & ApplicationStore & ConnectionStore;

/** Fills an application's or connection's omitted settings with the schema defaults. */
export function withApplicationDefaults(app: Partial<Application>): Application {
  const filled = structuredClone(app);
  applySchema(ApplicationSchema, filled);
  return filled as Application;
}

export function withConnectionDefaults(connection: Partial<Connection>): Connection {
  const filled = structuredClone(connection);
  applySchema(ConnectionSchema, filled);
  return filled as Connection;
}

/**
 * Gives applications stored by an earlier version (the Default App, those made by a command) the
 * defaults of settings added since, so that every reader finds each setting set.
 */
async function fillNewSettings(store: SeededStore): Promise<void> {
  for (const app of await store.listApplications()) {
    const filled = withApplicationDefaults(app);
    if (JSON.stringify(filled) !== JSON.stringify(app)) await store.putApplication(filled);
  }
}

export interface SeedResult {
  /** The application created on this start, if the store had none. */
  createdApplication: Application | null;
}

const DECLARED = 'config_declared';

/**
 * Removes what an earlier config file declared and this one no longer does, so retiring an
 * application or connection is a matter of deleting it from the file. What was made otherwise (the
 * Default App, later the Management API) is left alone.
 */
async function forgetUndeclared(store: SeededStore, declared: Declared): Promise<void> {
  const before = JSON.parse((await store.getSetting(DECLARED)) ?? '{"applications":[],"connections":[]}') as {
    applications: string[];
    connections: string[];
  };
  const apps = new Set(declared.applications.map((a) => a.client_id));
  const connections = new Set(declared.connections.map((c) => c.name));
  // A file that only seeds owns nothing once written: what it stops declaring stays the API's.
  if (configObjects(declared) === 'file') {
    for (const id of before.applications) if (!apps.has(id)) await store.deleteApplication(id);
    for (const name of before.connections) if (!connections.has(name)) await store.deleteConnection(name);
  }
  await store.putSetting(
    DECLARED,
    JSON.stringify({ applications: [...apps], connections: [...connections] }),
  );
}

const DEFAULT_APP = 'seeded_default_app';

/**
 * The Default App's URLs, from the issuer: its callback is the development `/callback` page and its
 * origin the server's own, so that `npm start` on any port or issuer logs a user in to a page
 * that exists.
 */
export function defaultAppUrls(issuer: string) {
  const origin = new URL(issuer).origin;
  return {
    callbacks: [`${issuer}callback`],
    allowed_origins: [origin],
    web_origins: [origin],
    allowed_logout_urls: [origin],
  };
}

/**
 * Moves the Default App's URLs to the current issuer. It is Tessera's own development app, which
 * no command or API edits, and its URLs made for another port or issuer would send every link
 * to nothing. A config file that declares its client_id owns it instead.
 */
async function followIssuer(store: SeededStore, declared: Declared): Promise<void> {
  const clientId = await store.getSetting(DEFAULT_APP);
  if (clientId === undefined || declared.applications.some((a) => a.client_id === clientId)) return;
  if ((await store.getSetting(DEFAULT_APP_EDITED)) !== undefined) return;
  const app = await store.getApplication(clientId);
  if (!app) return;
  const urls = defaultAppUrls(declared.issuer);
  const stale = (Object.keys(urls) as (keyof typeof urls)[]).some(
    (key) => JSON.stringify(app[key]) !== JSON.stringify(urls[key]),
  );
  if (stale) await store.putApplication({ ...app, ...urls });
}

/**
 * Set once the Management API has changed the Default App: from then on its URLs are the API's,
 * and a start on another issuer leaves them alone.
 */
const DEFAULT_APP_EDITED = 'seeded_default_app.edited';

/** Records that the Management API changed this application, when it is the Default App. */
export async function releaseDefaultApp(store: SettingsStore, clientId: string): Promise<void> {
  if ((await store.getSetting(DEFAULT_APP)) === clientId)
    await store.putSetting(DEFAULT_APP_EDITED, clientId);
}

/** What the configuration declares: its applications and connections, the issuer, and who owns them. */
interface Declared {
  applications: Application[];
  connections: Connection[];
  issuer: string;
  management_api?: { config_objects: 'file' | 'seed' };
}

function configObjects(declared: Declared): 'file' | 'seed' {
  return declared.management_api?.config_objects ?? 'file';
}

/**
 * Puts the configured applications and connections into the store (the config file wins for what
 * it declares, unless `management_api.config_objects` is `seed`: then it only adds what is missing). On a first start without any, creates the "Default App" and the `email` and `sms`
 * connections delivering through the dev inbox.
 */
export async function seedStore(
  store: SeededStore,
  random: Random,
  declared: Declared,
  /**
   * `always` (a server starting): the config file's applications and connections are written, and
   * those it no longer declares removed. `first-use` (a one-off command): only on a database no
   * config was ever applied to, so that an operator's command run with a partial config (say, only
   * DATABASE_URL) cannot remove what the servers declared.
   */
  apply: 'always' | 'first-use' = 'always',
): Promise<SeedResult> {
  if (apply === 'always' || (await store.getSetting(DECLARED)) === undefined) {
    await forgetUndeclared(store, declared);
    // `seed`: the file makes only what is missing, and the API's changes to the rest stand.
    const seedOnly = configObjects(declared) === 'seed';
    for (const app of declared.applications)
      if (!seedOnly || !(await store.getApplication(app.client_id))) await store.putApplication(app);
    for (const connection of declared.connections)
      if (!seedOnly || !(await store.getConnection(connection.name))) await store.putConnection(connection);
  }
  await fillNewSettings(store);
  // Only a server starting: a one-off command run without the server's PORT or TESSERA_ISSUER
  // would otherwise move the running server's Default App to another address.
  if (apply === 'always') await followIssuer(store, declared);

  let createdApplication: Application | null = null;
  // The first start of a database seeds it once: instances starting together on one PostgreSQL
  // agree through one atomic setting on which of them makes the Default App.
  if ((await store.listApplications()).length === 0) {
    const clientId = random.token(24);
    if ((await store.putSettingIfAbsent(DEFAULT_APP, clientId)) === clientId) {
      createdApplication = withApplicationDefaults({
        client_id: clientId,
        name: 'Default App',
        app_type: 'spa',
        ...defaultAppUrls(declared.issuer),
        grant_types: [PASSWORDLESS_OTP_GRANT, 'authorization_code', 'implicit', 'refresh_token'],
      });
      await store.putApplication(createdApplication);
    }
  }
  if ((await store.listConnections()).length === 0) {
    const token = random.token(12);
    if ((await store.putSettingIfAbsent('seeded_default_connections', token)) === token) {
      await store.putConnection(withConnectionDefaults({ name: 'email', strategy: 'email' }));
      await store.putConnection(withConnectionDefaults({ name: 'sms', strategy: 'sms' }));
    }
  }
  return { createdApplication };
}
