import { ApplicationSchema, ConnectionSchema, PASSWORDLESS_OTP_GRANT } from '../config/schema.ts';
import { applySchema } from '../config/validate.ts';
import type { Store } from '../store/store.ts';
import type { Application, Connection } from './model.ts';
import type { Random } from './sources.ts';

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
async function fillNewSettings(store: Store): Promise<void> {
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
async function forgetUndeclared(
  store: Store,
  declared: { applications: Application[]; connections: Connection[] },
): Promise<void> {
  const before = JSON.parse((await store.getSetting(DECLARED)) ?? '{"applications":[],"connections":[]}') as {
    applications: string[];
    connections: string[];
  };
  const apps = new Set(declared.applications.map((a) => a.client_id));
  const connections = new Set(declared.connections.map((c) => c.name));
  for (const id of before.applications) if (!apps.has(id)) await store.deleteApplication(id);
  for (const name of before.connections) if (!connections.has(name)) await store.deleteConnection(name);
  await store.putSetting(
    DECLARED,
    JSON.stringify({ applications: [...apps], connections: [...connections] }),
  );
}

/**
 * Puts the configured applications and connections into the store (the config file wins for what
 * it declares). On a first start without any, creates the "Default App" and the `email` and `sms`
 * connections delivering through the dev inbox.
 */
export async function seedStore(
  store: Store,
  random: Random,
  declared: { applications: Application[]; connections: Connection[] },
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
    for (const app of declared.applications) await store.putApplication(app);
    for (const connection of declared.connections) await store.putConnection(connection);
  }
  await fillNewSettings(store);

  let createdApplication: Application | null = null;
  // The first start of a database seeds it once: instances starting together on one PostgreSQL
  // agree through one atomic setting on which of them makes the Default App.
  if ((await store.listApplications()).length === 0) {
    const clientId = random.token(24);
    if ((await store.putSettingIfAbsent('seeded_default_app', clientId)) === clientId) {
      createdApplication = withApplicationDefaults({
        client_id: clientId,
        name: 'Default App',
        app_type: 'spa',
        callbacks: ['http://localhost:3000/callback'],
        allowed_origins: ['http://localhost:3000'],
        web_origins: ['http://localhost:3000'],
        allowed_logout_urls: ['http://localhost:3000'],
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
