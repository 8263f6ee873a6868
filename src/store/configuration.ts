import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Application, Connection } from '../core/model.ts';
import type {
  ApplicationCodec,
  ApplicationStore,
  ConnectionCodec,
  ConnectionStore,
  SettingsStore,
} from '../core/ports/store.ts';
import { ReadCache } from './read-cache.ts';
import type { Database } from './tables.ts';

/**
 * How long an instance keeps an application or connection it has read. Every request reads its
 * application and connection; they change only when an instance starts (or an operator edits
 * them), so each instance keeps them for a moment instead of reading and decoding them every
 * time. Changes made through an instance are seen there at once; another instance's within this.
 */
export const CONFIG_CACHE_MS = 2000;

export function settingsStore(db: Kysely<Database>): SettingsStore {
  async function getSetting(key: string): Promise<string | undefined> {
    const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  }
  return {
    getSetting,
    async putSettingIfAbsent(key, value) {
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      return (await getSetting(key)) as string;
    },
    async putSetting(key, value) {
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },
  };
}

export function applicationStore(
  db: Kysely<Database>,
  codec: ApplicationCodec = plainApplications,
  cacheMs = CONFIG_CACHE_MS,
): ApplicationStore {
  const cache = new ReadCache<Application | undefined>(cacheMs);
  async function read(clientId: string): Promise<Application | undefined> {
    const row = await db
      .selectFrom('applications')
      .select('data')
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row ? codec.decode(row.data) : undefined;
  }
  return {
    getApplication: (clientId) => cache.get(clientId, () => read(clientId)),
    async listApplications() {
      const rows = await db.selectFrom('applications').select('data').orderBy('client_id').execute();
      return Promise.all(rows.map((r) => codec.decode(r.data)));
    },
    async putApplication(app) {
      const data = await codec.encode(app);
      await db
        .insertInto('applications')
        .values({ client_id: app.client_id, data, updated_at: Date.now() })
        .onConflict((oc) => oc.column('client_id').doUpdateSet({ data, updated_at: Date.now() }))
        .execute();
      cache.forget(app.client_id);
    },
    async deleteApplication(clientId) {
      await db.deleteFrom('applications').where('client_id', '=', clientId).execute();
      cache.forget(clientId);
    },
  };
}

export function connectionStore(
  db: Kysely<Database>,
  codec: ConnectionCodec = plainJson,
  cacheMs = CONFIG_CACHE_MS,
): ConnectionStore {
  const cache = new ReadCache<Connection | undefined>(cacheMs);
  /** The id lives in its own column (unique, looked up by the Management API), not in the data. */
  const withId = async (row: { data: string; id: string | null }): Promise<Connection> => {
    const connection = await codec.decode(row.data);
    return row.id === null ? connection : { ...connection, id: row.id };
  };
  async function read(name: string): Promise<Connection | undefined> {
    const row = await db
      .selectFrom('connections')
      .select(['data', 'id'])
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? withId(row) : undefined;
  }
  return {
    getConnection: (name) => cache.get(name, () => read(name)),
    async getConnectionById(id) {
      const row = await db
        .selectFrom('connections')
        .select(['data', 'id'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? withId(row) : undefined;
    },
    async listConnections() {
      const rows = await db.selectFrom('connections').select(['data', 'id']).orderBy('name').execute();
      return Promise.all(rows.map(withId));
    },
    async putConnection({ id, ...connection }) {
      const data = await codec.encode(connection);
      await db
        .insertInto('connections')
        .values({ name: connection.name, id: id ?? newConnectionId(), data, updated_at: Date.now() })
        .onConflict((oc) => oc.column('name').doUpdateSet({ data, updated_at: Date.now() }))
        .execute();
      cache.forget(connection.name);
    },
    async deleteConnection(name) {
      await db.deleteFrom('connections').where('name', '=', name).execute();
      cache.forget(name);
    },
  };
}

/** A connection id as Auth0 writes one: `con_` and 16 random characters. */
function newConnectionId(): string {
  return `con_${randomBytes(8).toString('hex')}`;
}

const plainApplications: ApplicationCodec = {
  encode: async (app) => JSON.stringify(app),
  decode: async (data) => JSON.parse(data) as Application,
};

const plainJson: ConnectionCodec = {
  encode: async (connection) => JSON.stringify(connection),
  decode: async (data) => JSON.parse(data) as Connection,
};
